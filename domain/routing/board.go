package routing

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Conv is what routing knows of one conversation: its ticket and the facts
// of its conversation stream that routing reads.
type Conv struct {
	Ticket
	Started      bool
	Ended        bool
	StartedAt    time.Time
	EndedAt      time.Time
	CustomerName string
	// CustomerWrote is set by the customer's first ChatMessage: a
	// conversation a third party started is routed from then on.
	CustomerWrote bool
	// LastChatAt is when the last ChatMessage was stored; LastActivityAt
	// when any message was.
	LastChatAt     time.Time
	LastActivityAt time.Time
	// Version is the revision of the last folded conversation event.
	ConvVersion int64
}

// Board is the fold of every routing stream and of the conversation events
// routing reads: the state the router decides on and the staff's view
// reads. Events are applied at most once per stream revision, so an event
// applied as soon as it was appended is skipped when the feed brings it.
type Board struct {
	Convs map[string]*Conv
	// Open are the conversations started and not ended: the only ones
	// the router looks at on each pass, however long the history.
	Open   map[string]*Conv
	Agents map[string]*Agent
	// Partial is set while conversations that had ended when the board's
	// snapshot was taken are still being added after a restore (see
	// Adopt): a conversation missing from Convs may then be one of them.
	Partial bool
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{Convs: map[string]*Conv{}, Open: map[string]*Conv{}, Agents: map[string]*Agent{}}
}

// Conv returns the conversation id, adding it when new.
func (b *Board) Conv(id string) *Conv {
	c := b.Convs[id]
	if c == nil {
		c = &Conv{Ticket: *NewTicket(id), ConvVersion: -1}
		b.Convs[id] = c
	}
	return c
}

// Agent returns agent id, adding it (not ready) when new.
func (b *Board) Agent(id string) *Agent {
	a := b.Agents[id]
	if a == nil {
		a = NewAgent(id)
		b.Agents[id] = a
	}
	return a
}

// ApplyRouting folds a recorded routing event and reports whether it was
// new; other streams are ignored.
func (b *Board) ApplyRouting(rec domain.RecordedEvent) (bool, error) {
	var apply func(rev int64, e Event)
	var version int64
	switch {
	case strings.HasPrefix(rec.Stream, TicketStreamPrefix):
		c := b.Conv(rec.Stream[len(TicketStreamPrefix):])
		apply, version = c.Ticket.Apply, c.Ticket.Version
	case strings.HasPrefix(rec.Stream, AgentStreamPrefix):
		a := b.Agent(rec.Stream[len(AgentStreamPrefix):])
		apply, version = a.Apply, a.Version
	default:
		return false, nil
	}
	if int64(rec.Revision) <= version {
		return false, nil
	}
	e, err := Decode(rec)
	if err != nil {
		return false, err
	}
	// A claim on a conversation that has ended holds nothing: the end
	// released it (see ApplyConversation), whichever came first here.
	if cl, ok := e.(AgentClaimed); ok {
		if c := b.Convs[cl.ConversationID]; c != nil && c.Ended {
			e = nil
		}
	}
	apply(int64(rec.Revision), e)
	return true, nil
}

// ApplyConversation folds a decoded event of conversation id's stream,
// recorded at at.
func (b *Board) ApplyConversation(id string, rev int64, e domain.Event, at time.Time) {
	c := b.Conv(id)
	if rev <= c.ConvVersion {
		return
	}
	c.ConvVersion = rev
	switch e := e.(type) {
	case domain.ConversationStarted:
		c.Started, c.StartedAt, c.LastActivityAt, c.LastChatAt = true, at, at, at
		if !c.Ended {
			b.Open[id] = c
		}
		c.CustomerName = e.Customer.Personal.DisplayName()
		if c.Ticket.Subject == "" && c.Ticket.Channel == "" {
			c.Ticket.Subject, c.Ticket.Channel = e.Subject, e.Channel
		}
	case domain.PersonalDataErased:
		c.CustomerName = domain.Erased
	case domain.Message:
		c.LastActivityAt = at
		if e.Type == domain.TypeChatMessage {
			c.LastChatAt = at
			if e.From.Role == domain.RoleCustomer {
				c.CustomerWrote = true
			}
		}
		if e.ActivityType == domain.ActivityHandOff && e.From.Role == domain.RoleSystem && c.Ticket.Version < 0 {
			var info struct{ Queue string }
			if json.Unmarshal(e.Info, &info) == nil && info.Queue != "" {
				ts, err := time.Parse(time.RFC3339Nano, e.Timestamp)
				if err != nil {
					ts = at
				}
				b.QueueNew(id, info.Queue, "", "", ts)
			}
		}
		if e.ActivityType == domain.ActivityEndOfConversation {
			c.Ended, c.EndedAt = true, at
			delete(b.Open, id)
			b.releaseEnded(c, at)
		}
	}
}

// releaseEnded gives back the unit of capacity the agent of an ended
// conversation held. The end is the release: no AgentReleased is stored for
// it (ADR 29), so a routed conversation costs the history two routing
// events. A claim held by another agent (a transfer or an assignment caught
// by the end) is released by the router's sweep, with an event.
func (b *Board) releaseEnded(c *Conv, at time.Time) {
	a := b.Agents[c.Ticket.Agent]
	if a == nil {
		return
	}
	if _, ok := a.Claims[c.ConversationID]; ok {
		delete(a.Claims, c.ConversationID)
		a.IdleSince = at
	}
}

// Touch folds a message of conversation id that routing need not read:
// only its time counts (a ChatMessage's for inactivity).
func (b *Board) Touch(id string, rev int64, chat bool, at time.Time) {
	c := b.Conv(id)
	if rev <= c.ConvVersion {
		return
	}
	c.ConvVersion, c.LastActivityAt = rev, at
	if chat {
		c.LastChatAt = at
	}
}

// QueueNew folds the first queueing of a conversation init started, which
// no routing event records: Parley's handOff {queue} right after the start
// is that queueing (ADR 29). at is the handOff's time. A conversation with
// routing events already is left alone: its ticket says where it is.
// It reports whether the conversation was queued now.
func (b *Board) QueueNew(id, queue, subject, channel string, at time.Time) bool {
	c := b.Conv(id)
	if c.Ticket.Version >= 0 || c.Ticket.Status != StatusNone || c.Ended {
		return false
	}
	t := &c.Ticket
	t.Status, t.Queue, t.QueuedAt = StatusQueued, queue, at
	if t.Subject == "" && t.Channel == "" {
		t.Subject, t.Channel = subject, channel
	}
	if !c.Started {
		// The router folds this before the feed brings the start.
		c.Started, c.StartedAt, c.LastActivityAt, c.LastChatAt = true, at, at, at
		b.Open[id] = c
	}
	return true
}

// NeedsSender reports whether the sender of conversation id's next
// ChatMessage matters: only until the customer first wrote in a
// conversation that is not routed yet.
func (b *Board) NeedsSender(id string) bool {
	c := b.Convs[id]
	return c == nil || c.Ticket.Version < 0 && c.Ticket.Status == StatusNone && !c.CustomerWrote
}

// Status is the conversation's routing status: queued, active (an agent is
// assigned), ended, or "" when it was never routed.
func (c *Conv) Status() string {
	switch {
	case c.Ended:
		return "ended"
	case c.Ticket.Status == StatusQueued:
		return "queued"
	case c.Ticket.Status == StatusAssigned:
		return "active"
	}
	return ""
}
