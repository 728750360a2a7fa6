package projections

import "github.com/parley-chat/parley/domain/routing"

// RoutingOf returns a routing read model over board b, for benchmarks that
// build a large board without folding a history.
func RoutingOf(b *routing.Board) *Routing { return &Routing{board: b} }
