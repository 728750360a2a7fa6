package router

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// claimGrace is how long a claim may wait for its assignment before a sweep
// takes it back: a node that died between the two appends leaves one.
const claimGrace = 5 * time.Second

// maxAssignmentsPerPass bounds one pass, so timers are checked often even
// under a burst.
const maxAssignmentsPerPass = 1000

// work is what one pass found to do.
type work struct {
	renew, expire []string
	unassign      [][2]string // conversation, agent
	withdraw      [][2]string // conversation, agent it was offered to
	release       [][3]string // agent, conversation, reason
	enqueue       []string
	end           [][2]string // conversation, reason
	assign        []assignment
}

type assignment struct {
	conv       string
	agent      string
	candidates []string
}

// pass looks at the board once and carries out what is due.
func (r *Router) pass(ctx context.Context) {
	now := r.cfg.Now()
	var w work
	renew := r.renewDue(now)
	local := map[string]bool{}
	if renew {
		for _, id := range r.cfg.Local() {
			local[id] = true
		}
	}
	r.cfg.Board.With(func(b *routing.Board) { w = r.plan(b, now, local) })
	for _, id := range w.renew {
		_, err := r.onAgent(ctx, id, func(a *routing.Agent, _ *routing.Board) ([]routing.Event, error) {
			return routing.Renew(a, now.Add(r.cfg.PresenceGrace), now), nil
		})
		r.logErr("renew presence lease", err, "agent", id)
	}
	for _, id := range w.expire {
		_, err := r.onAgent(ctx, id, func(a *routing.Agent, _ *routing.Board) ([]routing.Event, error) { return routing.Expire(a, now), nil })
		r.logErr("end lapsed presence", err, "agent", id)
	}
	for _, u := range w.unassign {
		r.requeue(ctx, u[0], u[1], now)
	}
	for _, o := range w.withdraw {
		r.withdraw(ctx, o[0], o[1], now)
	}
	releases := map[string][]func(){}
	for _, rel := range w.release {
		releases[rel[0]] = append(releases[rel[0]], func() { r.release(ctx, rel[0], rel[1], rel[2]) })
	}
	perAgent(releases)
	for _, id := range w.enqueue {
		r.logErr("queue conversation", r.enqueueNew(ctx, id), "conversation", id)
	}
	for _, e := range w.end {
		r.end(ctx, e[0], e[1], now)
	}
	assigns := map[string][]func(){}
	for _, a := range w.assign {
		assigns[a.agent] = append(assigns[a.agent], func() { r.assign(ctx, a, now) })
	}
	perAgent(assigns)
}

// agentWorkers bounds the agents a pass works on at once.
const agentWorkers = 64

// perAgent runs each agent's steps one after another (they append to its
// stream, so at once they would only conflict) and the agents' side by
// side, so that their appends share the store's commits.
func perAgent(byAgent map[string][]func()) {
	sem := make(chan struct{}, agentWorkers)
	var wg sync.WaitGroup
	for _, steps := range byAgent {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, step := range steps {
				step()
			}
		})
	}
	wg.Wait()
}

// renewDue reports whether leases are due for renewal: three times a grace.
func (r *Router) renewDue(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.lastRenew) < r.cfg.PresenceGrace/3 {
		return false
	}
	r.lastRenew = now
	return true
}

// plan finds what is due on the board at now.
func (r *Router) plan(b *routing.Board, now time.Time, local map[string]bool) work {
	var w work
	for id, a := range b.Agents {
		switch {
		case a.State == routing.StateReady && !now.Before(a.LeaseUntil):
			w.expire = append(w.expire, id)
		case local[id] && a.Ready(now):
			w.renew = append(w.renew, id)
		}
		for conv, at := range a.Claims {
			c := b.Convs[conv]
			switch {
			case c == nil && b.Partial:
				// Maybe an ended conversation a restore is still adding:
				// released, as ended, on a pass once it is there.
			case c == nil && now.Sub(at) > claimGrace:
				w.release = append(w.release, [3]string{id, conv, "stale"})
			case c == nil:
			case c.Ended:
				w.release = append(w.release, [3]string{id, conv, "ended"})
			case c.Ticket.Agent != id && now.Sub(at) > claimGrace:
				w.release = append(w.release, [3]string{id, conv, "stale"})
			}
		}
	}
	waiting := map[string][]*routing.Conv{}
	for id, c := range b.Open {
		if c.Ended || !c.Started {
			continue
		}
		t := &c.Ticket
		if t.Agent != "" {
			if a := b.Agents[t.Agent]; a != nil && a.Lapsed {
				w.unassign = append(w.unassign, [2]string{id, t.Agent})
				continue
			}
		}
		if t.Status == routing.StatusQueued && t.OfferedTo != "" {
			if a := b.Agents[t.OfferedTo]; a == nil || !a.Ready(now) {
				w.withdraw = append(w.withdraw, [2]string{id, t.OfferedTo})
				continue
			}
		}
		if t.Status == routing.StatusNone && t.Version < 0 && c.CustomerWrote {
			w.enqueue = append(w.enqueue, id)
			continue
		}
		if reason := r.due(c, now); reason != "" {
			w.end = append(w.end, [2]string{id, reason})
			continue
		}
		if t.Status == routing.StatusQueued {
			waiting[t.Queue] = append(waiting[t.Queue], c)
		}
	}
	w.assign = r.match(b, waiting, now)
	return w
}

// due returns why a timer ends conversation c at now, or "".
func (r *Router) due(c *routing.Conv, now time.Time) string {
	if c.Ticket.Status == routing.StatusNone {
		return ""
	}
	if r.cfg.MaxQueueWait > 0 && c.Ticket.Status == routing.StatusQueued && now.Sub(c.Ticket.QueuedAt) >= r.cfg.MaxQueueWait {
		return domain.ActivityNoAgentAvailable
	}
	if r.cfg.InactivityTimeout > 0 && now.Sub(c.LastChatAt) >= r.cfg.InactivityTimeout {
		return "inactivity"
	}
	return ""
}

// match pairs the waiting conversations of each queue, longest waiting
// first, with the best eligible agent (see routing.Rank).
func (r *Router) match(b *routing.Board, waiting map[string][]*routing.Conv, now time.Time) []assignment {
	free := map[string]int{}
	var out []assignment
	for queue, convs := range waiting {
		slices.SortFunc(convs, func(x, y *routing.Conv) int { return x.Ticket.QueuedAt.Compare(y.Ticket.QueuedAt) })
		var pool []*routing.Agent
		for _, a := range b.Agents {
			if a.Ready(now) && a.Serves(queue) {
				pool = append(pool, a)
				if _, ok := free[a.ID]; !ok {
					free[a.ID] = a.Free()
				}
			}
		}
		full := false
		for _, c := range convs {
			if len(out) >= maxAssignmentsPerPass {
				return out
			}
			candidates := pool
			if c.Ticket.OfferedTo != "" {
				// An offer goes to its agent, whichever queues it serves.
				candidates = nil
				if a := b.Agents[c.Ticket.OfferedTo]; a != nil && a.Ready(now) {
					candidates = []*routing.Agent{a}
					if _, ok := free[a.ID]; !ok {
						free[a.ID] = a.Free()
					}
				}
			} else if full || !anyFree(pool, free) {
				// With every agent of the queue full, the rest of the queue
				// waits but for its offers: looking at each conversation
				// would cost agents times conversations on every pass.
				full = true
				continue
			}
			cands := make([]routing.Candidate, 0, len(candidates))
			for _, a := range candidates {
				if free[a.ID] <= 0 {
					continue
				}
				cands = append(cands, routing.Candidate{ID: a.ID, Active: a.Capacity - free[a.ID], Free: free[a.ID], IdleSince: a.IdleSince})
			}
			ranked := routing.Rank(cands, c.Ticket.HandedOffBy)
			if len(ranked) == 0 {
				continue
			}
			ids := make([]string, len(ranked))
			for i, cand := range ranked {
				ids[i] = cand.ID
			}
			free[ids[0]]--
			out = append(out, assignment{conv: c.Ticket.ConversationID, agent: ids[0], candidates: ids})
		}
	}
	return out
}

// anyFree reports whether an agent of pool has capacity left.
func anyFree(pool []*routing.Agent, free map[string]int) bool {
	for _, a := range pool {
		if free[a.ID] > 0 {
			return true
		}
	}
	return false
}
