package projections

import "github.com/parley-chat/parley/domain/routing"

// RoutingOf returns a routing read model over board b, for benchmarks that
// build a large board without folding a history.
func RoutingOf(b *routing.Board) *Routing { return &Routing{board: b} }

// RestoreInSteps restores st into r as Restore does, but leaves the ended
// conversations to the function it returns, so that a benchmark can time
// the part before the node serves apart from the part after.
func RestoreInSteps(r *Routing, st *RoutingState) (ended func()) {
	p := r.restoreOpen(st)
	return func() {
		if p != nil {
			r.addEnded(st, p, nil)
		}
	}
}
