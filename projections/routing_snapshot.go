package projections

import (
	"maps"
	"slices"
	"time"

	"github.com/parley-chat/parley/domain/routing"
)

// RoutingState is the routing board as a snapshot holds it (ADR 28): every
// conversation and agent folded so far, and which conversations are open.
type RoutingState struct {
	Convs  []routing.Conv  `json:"convs"`
	Open   []string        `json:"open"`
	Agents []routing.Agent `json:"agents"`
}

// State returns a copy of the board. Called from the feed between two
// events, it is the fold up to the first of them.
func (r *Routing) State() RoutingState {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.board
	st := RoutingState{Convs: make([]routing.Conv, 0, len(b.Convs)), Open: make([]string, 0, len(b.Open)),
		Agents: make([]routing.Agent, 0, len(b.Agents))}
	for _, c := range b.Convs {
		st.Convs = append(st.Convs, *c)
	}
	for id := range b.Open {
		st.Open = append(st.Open, id)
	}
	for _, a := range b.Agents {
		cp := *a
		cp.Queues, cp.Claims = slices.Clone(a.Queues), maps.Clone(a.Claims)
		st.Agents = append(st.Agents, cp)
	}
	return st
}

// Restore replaces the board with st, before the feed starts.
func (r *Routing) Restore(st RoutingState) {
	b := routing.NewBoard()
	for _, c := range st.Convs {
		b.Convs[c.ConversationID] = &c
	}
	for _, id := range st.Open {
		if c := b.Convs[id]; c != nil {
			b.Open[id] = c
		}
	}
	for _, a := range st.Agents {
		if a.Claims == nil {
			a.Claims = map[string]time.Time{}
		}
		b.Agents[a.ID] = &a
	}
	r.mu.Lock()
	r.board = b
	r.mu.Unlock()
}
