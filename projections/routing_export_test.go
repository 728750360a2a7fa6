package projections

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/parley-chat/parley/domain/routing"
)

// RoutingOf returns a routing read model over board b, for benchmarks that
// build a large board without folding a history.
func RoutingOf(b *routing.Board) *Routing { return &Routing{board: b} }

// RestoreInSteps restores st into r as Restore does, but leaves the ended
// conversations to the function it returns, so that a benchmark can time
// the part before the node serves apart from the part after.
func RestoreInSteps(r *Routing, st *RoutingState, refold RoutingRefold) (ended func()) {
	p := r.restoreOpen(st)
	return func() {
		if p != nil {
			r.addEnded(st, p, refold)
		}
	}
}

// BoardDump is r's board in a canonical text, once a restore has added its
// ended conversations: two boards are the same fold when their dumps are.
func BoardDump(r *Routing) string {
	if err := r.waitRestored(context.Background()); err != nil {
		return "restore failed: " + err.Error()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.board
	var out strings.Builder
	fmt.Fprintf(&out, "partial %v\n", b.Partial)
	for _, id := range slices.Sorted(maps.Keys(b.Convs)) {
		var w boardWriter
		w.conv(b.Convs[id], true)
		fmt.Fprintf(&out, "conv %s open %v %x\n", id, b.Open[id] == b.Convs[id], w.b)
	}
	for id := range b.Open {
		if b.Convs[id] != b.Open[id] {
			fmt.Fprintf(&out, "open %s is not its entry\n", id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(b.Agents)) {
		a := b.Agents[id]
		var claims []string
		for conv, at := range a.Claims {
			claims = append(claims, fmt.Sprint(conv, "@", at.UnixNano()))
		}
		slices.Sort(claims)
		fmt.Fprintf(&out, "agent %s %d %s %v %d %d %d %v %v\n", id, a.Version, a.State, a.Queues, a.Capacity,
			a.LeaseUntil.UnixNano(), a.IdleSince.UnixNano(), a.Lapsed, claims)
	}
	return out.String()
}
