package projections

import (
	"strings"
	"sync"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
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
// conversation events routing reads.
func (r *Routing) Consume(e *FeedEvent) error {
	switch {
	case strings.HasPrefix(e.Stream, domain.StreamPrefix):
		if e.Type != domain.EventConversationStarted && e.Type != domain.EventChatMessage && e.Type != domain.EventActivityMessage {
			return nil
		}
		ev, err := e.Event()
		if err != nil {
			return err
		}
		id, _ := domain.ConversationIDOf(e.Stream)
		r.mu.Lock()
		r.board.ApplyConversation(id, int64(e.Revision), ev, e.Recorded)
		r.mu.Unlock()
		if m, ok := ev.(domain.Message); ok && r.OnChange != nil {
			switch m.ActivityType {
			case domain.ActivityEndOfConversation, domain.ActivityParticipantAdded, domain.ActivityParticipantRemoved:
				r.OnChange(e.RecordedEvent)
			}
		}
		return nil
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
