package projections

import (
	"context"
	"fmt"
)

// restoring is a restore whose ended conversations are still being added
// to the board; done closes when they are, or when that failed (err).
type restoring struct {
	done chan struct{}
	err  error
}

// RoutingRefold folds the routing board from the whole history up to the
// checkpoint of the snapshot being restored, in a fresh Routing. Restore
// calls it, with the cause, when the snapshot's ended conversations do not
// decode.
type RoutingRefold func(cause error) (*Routing, error)

// adoptBatch is how many ended conversations are added under one hold of
// the board's lock, so that the router and the views wait a little at a
// time while a long history loads.
const adoptBatch = 4096

// Restore replaces the board with st's, before the feed starts: the agents
// and the conversations not ended at once, so the node can serve; the ended
// conversations, most of a long history, on a goroutine of its own that
// adds them under the board's lock (ADR 44). Until they are all there, the
// feed's consumer (Consume) waits before its first fold, State waits, and
// Conversations waits with its caller's context; the router and the queue
// and agent views read the open conversations and the agents only, and go
// on. When the ended section does not decode (the file's checksum held, so
// a bug, not a damaged disk), refold gives the board folded from the
// history instead, which replaces the restored one; without refold, or when
// it fails too, the error stays: Consume, State and Conversations return
// it, and RestoreErr reports it for readiness.
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
	p := &restoring{done: make(chan struct{})}
	r.board.Partial = true
	r.restoring.Store(p)
	return p
}

// addEnded decodes st's ended conversations and adds them to the board, a
// batch at a time; on a decode error it replaces the board with refold's.
func (r *Routing) addEnded(st *RoutingState, p *restoring, refold RoutingRefold) {
	defer close(p.done)
	convs, err := st.decodeEnded()
	st.ended, st.names = nil, nil
	if err != nil {
		p.err = r.replace(err, refold)
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
}

// replace puts refold's board in place of the part restored. The router
// may have folded its own appends into the part meanwhile: they lie after
// the snapshot's checkpoint, so the feed brings them to the new board.
func (r *Routing) replace(cause error, refold RoutingRefold) error {
	if refold == nil {
		return cause
	}
	fresh, err := refold(cause)
	if err != nil {
		return fmt.Errorf("%w; folding the board from the history instead failed: %w", cause, err)
	}
	r.mu.Lock()
	r.board = fresh.board
	r.mu.Unlock()
	return nil
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
