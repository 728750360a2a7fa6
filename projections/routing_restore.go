package projections

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// restoring is a restore whose ended conversations are still being added
// to the board; done closes when they are, or when that failed (err).
type restoring struct {
	done chan struct{}
	err  error
	// ended are the ids of the conversations being added; failed is set
	// once they are known not to decode.
	ended  map[string]struct{}
	failed atomic.Bool
}

// RoutingRefold folds the routing board from the whole history in a fresh
// Routing, up to the checkpoint of the snapshot being restored and at least
// up to to, what the feed folded meanwhile. Restore calls it, with the
// cause, when the snapshot's ended conversations do not decode.
type RoutingRefold func(cause error, to domain.After) (*Routing, error)

// adoptBatch is how many ended conversations are added under one hold of
// the board's lock, so that the router and the views wait a little at a
// time while a long history loads.
const adoptBatch = 4096

// Restore replaces the board with st's, before the feed starts: the agents
// and the conversations not ended at once, so the node can serve; the ended
// conversations, most of a long history, on a goroutine of its own that
// adds them under the board's lock (ADR 44). Until they are all there, the
// feed's consumer (Consume) waits before it folds an event on one of them,
// State waits, and Conversations waits with its caller's context; the
// router and the queue and agent views read the open conversations and the
// agents only, and go on. When the ended section does not decode (the
// file's checksum held, so a bug, not a damaged disk), refold gives the
// board folded from the history instead, which replaces the restored one;
// without refold, or when it fails too, the error stays: Consume, State and
// Conversations return it, and RestoreErr reports it for readiness.
func (r *Routing) Restore(st *RoutingState, refold RoutingRefold) {
	if p := r.restoreOpen(st); p != nil {
		go r.addEnded(st, p, refold)
	}
}

// restoreOpen puts the agents and open conversations of st in place and
// returns the restore to finish, or nil when st holds no ended section.
func (r *Routing) restoreOpen(st *RoutingState) *restoring {
	if st.board == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.board = st.board
	if st.endedCount == 0 {
		return nil
	}
	p := &restoring{done: make(chan struct{}), ended: st.endedIDs}
	r.board.Partial = true
	r.restoring.Store(p)
	return p
}

// addEnded decodes st's ended conversations and adds them to the board, a
// batch at a time; on a decode error it replaces the board with refold's.
func (r *Routing) addEnded(st *RoutingState, p *restoring, refold RoutingRefold) {
	defer close(p.done)
	convs, err := st.decodeEnded()
	st.ended, st.names, st.endedIDs, st.endedOrder = nil, nil, nil, nil
	if err != nil {
		p.err = r.replace(p, err, refold)
		return
	}
	for i := 0; i < len(convs); i += adoptBatch {
		r.mu.Lock()
		for j := i; j < min(i+adoptBatch, len(convs)); j++ {
			r.board.Adopt(&convs[j])
		}
		r.board.Partial = i+adoptBatch < len(convs)
		r.mu.Unlock()
	}
	// Done: the board is whole, and the ids need not be kept.
	r.restoring.CompareAndSwap(p, nil)
}

// replace puts refold's board in place of the part restored. The feed is
// held meanwhile: it may have folded events on other conversations into
// the part, which refold folds again up to where the feed got. The router
// may have folded its own appends into the part too: those the feed has
// not brought yet lie after that, and the feed brings them to the new board.
func (r *Routing) replace(p *restoring, cause error, refold RoutingRefold) error {
	p.failed.Store(true)
	r.foldMu.Lock()
	defer r.foldMu.Unlock()
	if refold == nil {
		return cause
	}
	fresh, err := refold(cause, r.foldedTo)
	if err != nil {
		return fmt.Errorf("%w; folding the board from the history instead failed: %w", cause, err)
	}
	r.mu.Lock()
	r.board = fresh.board
	r.mu.Unlock()
	return nil
}

// consumeRestoring folds e while a restore adds its ended conversations:
// an event on one of them (or a claim of one) waits until they are all
// there; any other is folded at once, under foldMu, which replace holds.
func (r *Routing) consumeRestoring(p *restoring, e *FeedEvent) error {
	if p.touches(e) {
		if err := r.waitRestored(context.Background()); err != nil {
			return err
		}
		return r.consume(e)
	}
	r.foldMu.Lock()
	defer r.foldMu.Unlock()
	r.foldedTo = domain.After(e.Position)
	return r.consume(e)
}

// touches reports whether e must wait for the restore: it is on a
// conversation still to be added, claims one, or the restore is over.
func (p *restoring) touches(e *FeedEvent) bool {
	if p.failed.Load() {
		return true
	}
	select {
	case <-p.done:
		return true
	default:
	}
	var id string
	switch {
	case strings.HasPrefix(e.Stream, domain.StreamPrefix):
		id, _ = domain.ConversationIDOf(e.Stream)
	case strings.HasPrefix(e.Stream, routing.TicketStreamPrefix):
		id = e.Stream[len(routing.TicketStreamPrefix):]
	case strings.HasPrefix(e.Stream, routing.AgentStreamPrefix) && e.Type == routing.EventAgentClaimed:
		// A claim of an ended conversation folds to nothing (Board.ApplyRouting).
		ev, err := routing.Decode(e.RecordedEvent)
		cl, ok := ev.(routing.AgentClaimed)
		if err != nil || !ok {
			return true
		}
		id = cl.ConversationID
	default:
		return false
	}
	_, ok := p.ended[id]
	return ok
}

// waitRestored waits until a restore has added its ended conversations,
// or ctx ends; it returns the restore's error, if it failed.
func (r *Routing) waitRestored(ctx context.Context) error {
	p := r.restoring.Load()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.err != nil {
		return p.err
	}
	r.restoring.CompareAndSwap(p, nil)
	return nil
}

// RestoreErr returns why the board could not be restored whole, without
// waiting: nil while a restore runs or after one succeeded.
func (r *Routing) RestoreErr() error {
	p := r.restoring.Load()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Fold folds the history of store after from, up to and including
// position to, into the board: what a start folds when a snapshot is
// missing, older than the feed's, or cannot be used.
func (r *Routing) Fold(ctx context.Context, store domain.EventStore, from, to domain.After) error {
	for from < to {
		recs, err := store.ReadAll(ctx, from, 1000)
		if err != nil {
			return fmt.Errorf("routing: read the history before the snapshot: %w", err)
		}
		if len(recs) == 0 {
			return nil
		}
		for _, rec := range recs {
			if domain.After(rec.Position) > to {
				return nil
			}
			if err := r.Consume(NewFeedEvent(rec)); err != nil {
				return err
			}
			from = domain.After(rec.Position)
		}
	}
	return nil
}
