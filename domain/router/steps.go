package router

import (
	"context"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// assign claims a unit of the agent's capacity, then assigns the
// conversation; when the assignment loses (another node assigned it
// first), the claim is given back. A crash between the two leaves a claim
// that the sweep gives back after claimGrace.
func (r *Router) assign(ctx context.Context, a assignment, now time.Time) {
	claimed, err := r.onAgent(ctx, a.agent, func(ag *routing.Agent, b *routing.Board) ([]routing.Event, error) {
		c := b.Convs[a.conv]
		if c == nil || c.Ended || c.Ticket.Status != routing.StatusQueued {
			return nil, nil
		}
		return routing.Claim(ag, a.conv, now)
	})
	if err != nil {
		r.logErr("claim agent capacity", err, "agent", a.agent, "conversation", a.conv)
		return
	}
	var prev string
	events, err := r.onTicket(ctx, a.conv, func(c *routing.Conv, _ *routing.Board) ([]routing.Event, error) {
		if c.Ended {
			return nil, domain.Errorf(domain.CodeEnded, "conversation %s has ended", a.conv)
		}
		return routing.Assign{AgentID: a.agent, Candidates: a.candidates, Now: now}.Decide(&c.Ticket)
	})
	if err != nil || len(events) == 0 {
		r.logErr("assign conversation", err, "agent", a.agent, "conversation", a.conv)
		if len(claimed) > 0 {
			r.release(ctx, a.agent, a.conv, "lost")
		}
		return
	}
	if as, ok := events[0].(routing.ConversationAssigned); ok {
		prev = as.Previous
	}
	if prev != "" {
		r.logErr("remove the previous agent", r.system(ctx, a.conv, domain.ActivityParticipantRemoved, domain.ParticipantInfo{ID: prev}), "conversation", a.conv)
		r.release(ctx, prev, a.conv, "transferred")
	}
}

// release gives back the unit of agent's capacity that conv holds.
func (r *Router) release(ctx context.Context, agent, conv, reason string) {
	events, err := r.onAgent(ctx, agent, func(a *routing.Agent, _ *routing.Board) ([]routing.Event, error) {
		return routing.Release(a, conv, reason, r.cfg.Now()), nil
	})
	r.logErr("release agent capacity", err, "agent", agent, "conversation", conv)
	if len(events) > 0 {
		r.Kick() // a unit freed: the next waiting conversation may go
	}
}

// requeue queues again a conversation whose agent's presence lapsed.
func (r *Router) requeue(ctx context.Context, conv, agent string, now time.Time) {
	events, err := r.onTicket(ctx, conv, func(c *routing.Conv, _ *routing.Board) ([]routing.Event, error) {
		return routing.Unassign{AgentID: agent, Now: now}.Decide(&c.Ticket), nil
	})
	r.logErr("queue the conversation of a lapsed agent", err, "conversation", conv)
	if err != nil {
		return
	}
	r.release(ctx, agent, conv, routing.ReasonPresence)
	if len(events) == 2 {
		// The customer is told, as for a new conversation, that it waits again.
		q := events[1].(routing.ConversationQueued).Queue
		r.logErr("announce a queued conversation", r.announce(ctx, conv, q), "conversation", conv)
	}
}

// withdraw sends a conversation offered to an agent who is no longer ready
// back to its queue, and tells the customer when nobody can take it now.
func (r *Router) withdraw(ctx context.Context, conv, agent string, now time.Time) {
	events, err := r.onTicket(ctx, conv, func(c *routing.Conv, _ *routing.Board) ([]routing.Event, error) {
		return routing.Withdraw{AgentID: agent, Now: now}.Decide(&c.Ticket), nil
	})
	r.logErr("withdraw an offer to an agent", err, "conversation", conv, "agent", agent)
	if err == nil && len(events) > 0 {
		r.logErr("announce a queued conversation", r.unavailable(ctx, conv, events[0].(routing.ConversationQueued).Queue), "conversation", conv)
	}
}

// unavailable tells the customer of conversation conv, queued again in
// queue, that no agent can take it now, if none can: one noAgentAvailable
// ({queue, position}), as on first queueing. The router is set going first.
func (r *Router) unavailable(ctx context.Context, conv, queue string) error {
	available, position := r.availability(conv, queue)
	r.Kick()
	if available {
		return nil
	}
	return r.system(ctx, conv, domain.ActivityNoAgentAvailable, map[string]any{"queue": queue, "position": position})
}

// end ends a conversation whose timer fired, once per node; across nodes
// the conversation's expected revision lets only one ending in.
func (r *Router) end(ctx context.Context, conv, reason string, now time.Time) {
	r.mu.Lock()
	for id, at := range r.fired {
		if now.Sub(at) > time.Minute {
			delete(r.fired, id)
		}
	}
	if _, ok := r.fired[conv]; ok {
		r.mu.Unlock()
		return
	}
	r.fired[conv] = now
	r.mu.Unlock()
	err := r.system(ctx, conv, domain.ActivityEndOfConversation, map[string]string{"reason": reason})
	r.logErr("end conversation on a timer", err, "conversation", conv, "reason", reason)
}
