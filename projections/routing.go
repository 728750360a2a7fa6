package projections

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// Routing is the read model of routing: the routing model's board, kept
// current by the live feed, under a lock. The router decides on it and the
// staff's view (conversations, queues, agents) reads it.
type Routing struct {
	mu    sync.Mutex
	board *routing.Board
	// OnChange, when set, is called (outside the lock) after a routing
	// event was folded, with the stream it was on.
	OnChange func(e domain.RecordedEvent)
	// restoring is set by Restore while the snapshot's ended
	// conversations are being added, or when that failed.
	restoring atomic.Pointer[restoring]
	// foldMu is held by the feed's folds while they are added, and
	// foldedTo is where the feed got (see consumeRestoring).
	foldMu   sync.Mutex
	foldedTo domain.After
}

// NewRouting returns an empty routing read model.
func NewRouting() *Routing { return &Routing{board: routing.NewBoard()} }

// With calls fn with the board under the lock; fn must not keep it.
func (r *Routing) With(fn func(b *routing.Board)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(r.board)
}

// Apply folds a routing event the router appended.
func (r *Routing) Apply(rec domain.RecordedEvent) {
	r.mu.Lock()
	applied, _ := r.board.ApplyRouting(rec)
	r.mu.Unlock()
	if applied && r.OnChange != nil {
		r.OnChange(rec)
	}
}

// Consume is the feed consumer: it folds routing events and the
// conversation events routing reads. After a Restore, the first event on a
// conversation the snapshot holds as ended (or claiming one) waits until
// those are on the board (see Restore), so that no fold lands on a
// conversation whose entry is still to come: a short wait (a fraction of a
// CPU-second per 100,000 ended conversations), and only at start. Events on
// other conversations fold at once.
func (r *Routing) Consume(e *FeedEvent) error {
	if p := r.restoring.Load(); p != nil {
		return r.consumeRestoring(p, e)
	}
	return r.consume(e)
}

func (r *Routing) consume(e *FeedEvent) error {
	switch {
	case strings.HasPrefix(e.Stream, domain.StreamPrefix):
		return r.consumeConversation(e)
	case strings.HasPrefix(e.Stream, routing.TicketStreamPrefix), strings.HasPrefix(e.Stream, routing.AgentStreamPrefix):
		r.mu.Lock()
		applied, err := r.board.ApplyRouting(e.RecordedEvent)
		r.mu.Unlock()
		if applied && r.OnChange != nil {
			r.OnChange(e.RecordedEvent)
		}
		return err
	}
	return nil
}

// Markers of the activities routing reads; other messages are folded by
// their time alone, undecoded: the feed replays every message of the
// history at start, and decoding each would cost more than all the rest.
var (
	markEnd      = []byte(`"endOfConversation"`)
	markAdded    = []byte(`"participantAdded"`)
	markRemoved  = []byte(`"participantRemoved"`)
	markCustomer = []byte(`"customer"`)
	markHandOff  = []byte(`"handOff"`)
)

// consumeConversation folds what routing reads of a conversation event.
func (r *Routing) consumeConversation(e *FeedEvent) error {
	id, _ := domain.ConversationIDOf(e.Stream)
	rev := int64(e.Revision)
	var ev domain.Event
	switch e.Type {
	case domain.EventConversationStarted:
		if started, ok := scanStarted(e.Data); ok {
			ev = started
		}
	case domain.EventPersonalDataErased:
		// Decoded below: the board forgets the customer's name.
	case domain.EventChatMessage:
		r.mu.Lock()
		need := r.board.NeedsSender(id)
		if !need || !bytes.Contains(e.Data, markCustomer) {
			r.board.Touch(id, rev, true, e.Recorded)
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
	case domain.EventActivityMessage:
		if !bytes.Contains(e.Data, markEnd) && !bytes.Contains(e.Data, markAdded) && !bytes.Contains(e.Data, markRemoved) {
			r.mu.Lock()
			if r.board.NeedsSender(id) && bytes.Contains(e.Data, markHandOff) {
				if h, ok := scanHandOff(e.Data); ok {
					r.board.Touch(id, rev, false, e.Recorded)
					queued := h.From.Role == domain.RoleSystem && h.queue != "" && r.board.QueueNew(id, h.queue, "", "", h.at)
					r.mu.Unlock()
					if queued && r.OnChange != nil {
						r.OnChange(e.RecordedEvent) // the router may assign it
					}
					return nil
				}
				r.mu.Unlock()
				break // not in the plain form: decoded below
			}
			r.board.Touch(id, rev, false, e.Recorded)
			r.mu.Unlock()
			return nil
		}
	default:
		return nil
	}
	if ev == nil {
		var err error
		if ev, err = e.Event(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.board.ApplyConversation(id, rev, ev, e.Recorded)
	r.mu.Unlock()
	if m, ok := ev.(domain.Message); ok && r.OnChange != nil {
		switch m.ActivityType {
		case domain.ActivityEndOfConversation, domain.ActivityParticipantAdded, domain.ActivityParticipantRemoved:
			r.OnChange(e.RecordedEvent)
		}
	}
	return nil
}

// scanStarted reads the fields routing needs of a ConversationStarted
// without decoding the rest; ok is false for data not in the plain form
// Parley writes, which is then decoded.
func scanStarted(data []byte) (domain.ConversationStarted, bool) {
	var e domain.ConversationStarted
	p := storedjson.NewScanner(data)
	p.Object(func(key []byte) bool {
		switch string(key) {
		case "subject":
			e.Subject = p.Str()
		case "channel":
			e.Channel = p.Str()
		case "customer":
			p.Object(func(key []byte) bool {
				if string(key) != "personal" {
					p.Value()
					return true
				}
				pd := &e.Customer.Personal
				p.Object(func(key []byte) bool {
					switch string(key) {
					case "firstName":
						pd.FirstName = p.Str()
					case "lastName":
						pd.LastName = p.Str()
					default:
						p.Value()
					}
					return true
				})
				return true
			})
		default:
			p.Value()
		}
		return true
	})
	return e, p.Done()
}

// handOff is what routing reads of a handOff ActivityMessage.
type handOff struct {
	From  domain.Participant
	queue string
	at    time.Time
}

// scanHandOff reads the sender, info.queue and time of a handOff: Parley's
// handOff right after a start is the conversation's first queueing (ADR
// 29), read once per routed conversation at start. ok is false for data not
// in the plain form Parley writes.
func scanHandOff(data []byte) (handOff, bool) {
	var h handOff
	var ts string
	p := storedjson.NewScanner(data)
	p.Object(func(key []byte) bool {
		switch string(key) {
		case "from":
			p.Object(func(key []byte) bool {
				if string(key) == "role" {
					h.From.Role = domain.Role(p.Str())
				} else {
					p.Value()
				}
				return true
			})
		case "info":
			p.Object(func(key []byte) bool {
				if string(key) == "queue" {
					h.queue = p.Str()
				} else {
					p.Value()
				}
				return true
			})
		case "timestamp":
			ts = p.Str()
		default:
			p.Value()
		}
		return true
	})
	at, err := time.Parse(time.RFC3339Nano, ts)
	h.at = at
	return h, p.Done() && err == nil
}
