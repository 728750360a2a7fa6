// Package benchdata makes conversation histories for benchmarks: every
// event is decided by the domain from commands, as the server would store
// it, so folds, projections and schema checks see realistic data.
package benchdata

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// ids numbers every generated id, so that ids are unique across calls
// without the cost of random UUIDs.
var ids atomic.Uint64

func newID() string {
	n := ids.Add(1)
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(n>>48), n&0xffffffffffff)
}

// Agent is the agent who answers every generated conversation.
var Agent = domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}

// Spec describes one conversation to generate.
type Spec struct {
	ID string
	// Channel is web, or a connector-borne channel such as sms.
	Channel string
	// Messages is the number of chat messages, customer and agent in turn.
	Messages int
	// Ended adds the agent's endOfConversation.
	Ended bool
	// Start is the time of the first event; each next one is 1 s later.
	Start time.Time
	// Queue, when set, adds Parley's handOff {queue} right after the
	// start: the queueing of a conversation init started.
	Queue string
}

// Conversation returns the events of one conversation: its start, the
// customer's and the agent's joins (each with its greetings), the chat
// messages, and the end when s.Ended.
func Conversation(s Spec) ([]domain.EventData, error) {
	c := domain.NewConversation(s.ID)
	clock := s.Start
	env := func() domain.Env {
		clock = clock.Add(time.Second)
		return domain.Env{Now: clock, NewID: newID, Limits: domain.DefaultLimits}
	}
	var out []domain.EventData
	do := func(cmd domain.Command) error {
		events, err := domain.Decide(c, cmd, env())
		if err != nil {
			return fmt.Errorf("%T: %w", cmd, err)
		}
		for _, e := range events {
			id := newID()
			if m, ok := e.(domain.Message); ok {
				id = m.ID
			}
			d, err := storedjson.EncodeEvent(id, e, domain.Metadata{CorrelationID: id, CausationID: id, Connection: "bench"})
			if err != nil {
				return err
			}
			c.Apply(domain.Revision(c.Version+1), e)
			out = append(out, d)
		}
		return nil
	}
	n := strconv.Itoa(int(ids.Load()))
	customer := domain.Participant{ID: newID()}
	if err := do(domain.StartConversation{ConversationID: s.ID, CustomerID: customer.ID, Channel: s.Channel,
		Language: "en", Subject: "Order " + n, Personal: domain.PersonalData{FirstName: "Ada", LastName: "Lovelace " + n,
			Email: "ada" + n + "@example.com", Phone: "+15550" + n, RefID: "+15550" + n}}); err != nil {
		return nil, err
	}
	if s.Queue != "" {
		if err := do(domain.PostSystemActivity{ActivityType: domain.ActivityHandOff, Info: []byte(`{"queue":"` + s.Queue + `"}`), AfterStartOnly: true}); err != nil {
			return nil, err
		}
	}
	if err := do(domain.JoinConversation{Participant: customer}); err != nil {
		return nil, err
	}
	if err := do(domain.JoinConversation{Participant: Agent}); err != nil {
		return nil, err
	}
	for i := range s.Messages {
		from, text := customer, "Hello, my parcel has not arrived yet; could you check where it is? Order "+n
		if i%2 == 1 {
			from, text = Agent, "Of course. It left our warehouse yesterday and should reach you tomorrow morning."
		}
		if err := do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: domain.Participant{ID: from.ID}, Text: text}}); err != nil {
			return nil, err
		}
	}
	if s.Ended {
		if err := do(domain.EndConversation{By: Agent}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Recorded returns evs as a store would hand them back from stream, first
// at revision 0 and global position 1.
func Recorded(stream string, evs []domain.EventData) []domain.RecordedEvent {
	out := make([]domain.RecordedEvent, len(evs))
	for i, e := range evs {
		out[i] = domain.RecordedEvent{ID: e.ID, Stream: stream, Type: e.Type, Revision: domain.Revision(i),
			Position: domain.Position(i + 1), Data: e.Data, Metadata: e.Metadata, Recorded: time.Unix(int64(i), 0).UTC()}
	}
	return out
}
