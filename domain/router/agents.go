package router

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// Enqueue queues a conversation init just started in the queue its subject
// names, and tells the customer: a handOff ({queue}), then a
// noAgentAvailable ({queue, position}) when no agent can take it at once.
// The handOff is the queueing (ADR 29): it is stored only right after the
// start, so a repeated init, on any node, queues once.
func (r *Router) Enqueue(ctx context.Context, started domain.ConversationStarted) error {
	id, queue := started.ConversationID, r.cfg.Queues.ForSubject(started.Subject)
	raw, err := json.Marshal(map[string]string{"queue": queue})
	if err != nil {
		return err
	}
	meta := domain.Metadata{CorrelationID: r.cfg.NewID(), Actor: domain.SystemActor("router")}
	meta.CausationID = meta.CorrelationID
	res, err := r.cfg.Service.Execute(ctx, id, domain.PostSystemActivity{ActivityType: domain.ActivityHandOff, Info: raw, AfterStartOnly: true}, meta)
	if err != nil || len(res.Events) == 0 {
		return err
	}
	m, _ := res.Events[0].Event.(domain.Message)
	at, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		at = r.cfg.Now()
	}
	// Folded here at once, so that the assignment need not wait for the feed.
	r.cfg.Board.With(func(b *routing.Board) { b.QueueNew(id, queue, started.Subject, started.Channel, at) })
	available, position := r.availability(id, queue)
	r.Kick()
	if !available {
		return r.system(ctx, id, domain.ActivityNoAgentAvailable, map[string]any{"queue": queue, "position": position})
	}
	return nil
}

// enqueueNew queues a conversation the customer first wrote in (one a
// third party or a connector started), with a ConversationQueued that only
// one node's append wins, and tells the customer.
func (r *Router) enqueueNew(ctx context.Context, id string) error {
	var subject, channel string
	r.cfg.Board.With(func(b *routing.Board) {
		c := b.Conv(id)
		subject, channel = c.Ticket.Subject, c.Ticket.Channel
	})
	queue := r.cfg.Queues.ForSubject(subject)
	events, err := r.onTicket(ctx, id, func(c *routing.Conv, _ *routing.Board) ([]routing.Event, error) {
		return routing.Enqueue{Queue: queue, Reason: routing.ReasonNew, Subject: subject, Channel: channel, Now: r.cfg.Now()}.Decide(&c.Ticket)
	})
	if err != nil || len(events) == 0 {
		return err
	}
	return r.announce(ctx, id, queue)
}

// availability reports whether an agent may take a conversation of queue at
// once, and conversation id's position in it.
func (r *Router) availability(id, queue string) (available bool, position int) {
	now := r.cfg.Now()
	r.cfg.Board.With(func(b *routing.Board) {
		for _, a := range b.Agents {
			if a.Ready(now) && a.Serves(queue) && a.Free() > 0 {
				available = true
				break
			}
		}
		mine := b.Conv(id).Ticket.QueuedAt
		for _, c := range b.Open {
			if c.Ticket.Status == routing.StatusQueued && c.Ticket.Queue == queue && !c.Ticket.QueuedAt.After(mine) {
				position++
			}
		}
	})
	return available, position
}

// announce tells the customer the conversation waits in queue, and whether
// an agent may take it at once. Whether one may is settled first and the
// router set going before the customer is told, so that the assignment
// does not wait for these appends.
func (r *Router) announce(ctx context.Context, id, queue string) error {
	available, position := r.availability(id, queue)
	r.Kick()
	if err := r.system(ctx, id, domain.ActivityHandOff, map[string]string{"queue": queue}); err != nil {
		return err
	}
	if !available {
		return r.system(ctx, id, domain.ActivityNoAgentAvailable, map[string]any{"queue": queue, "position": position})
	}
	return nil
}

// AgentView is an agent as agentState's ack and GET /api/agents show it.
type AgentView struct {
	AgentID  string   `json:"agentId"`
	State    string   `json:"state"`
	Queues   []string `json:"queues"`
	Capacity int      `json:"capacity"`
	Assigned []string `json:"assigned"`
}

// SetState records an agent's agentState: ready or notReady, for queues
// (nil: every queue) with capacity (0: the default). Unknown queues are
// refused with unknown_queue.
func (r *Router) SetState(ctx context.Context, agentID, state string, queues []string, capacity int) (AgentView, error) {
	queues, err := r.cfg.Queues.Resolve(queues)
	if err != nil {
		return AgentView{}, err
	}
	if capacity == 0 {
		capacity = r.cfg.DefaultCapacity
	}
	for attempt := 0; ; attempt++ {
		now := r.cfg.Now()
		_, err = r.onAgent(ctx, agentID, func(a *routing.Agent, _ *routing.Board) ([]routing.Event, error) {
			return routing.SetState{State: state, Queues: queues, Capacity: capacity, LeaseUntil: now.Add(r.cfg.PresenceGrace), Now: now}.Decide(a)
		})
		if err != errStale || attempt == 50 {
			break
		}
		// Another node or the sweep changed the agent: wait for the feed.
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return AgentView{}, err
		}
	}
	if err == errStale {
		return AgentView{}, domain.Errorf(domain.CodeConflict, "agent %s is changing too fast; retry", agentID)
	}
	if err != nil {
		return AgentView{}, err
	}
	r.Kick()
	return r.Agent(agentID), nil
}

// Agent returns agent id as the board shows it.
func (r *Router) Agent(id string) AgentView {
	var v AgentView
	r.cfg.Board.With(func(b *routing.Board) { v = View(b, b.Agent(id), r.cfg.Queues.Names()) })
	return v
}

// View returns the view of agent a on board b; all are the queue names, the
// queues of an agent that serves every queue.
func View(b *routing.Board, a *routing.Agent, all []string) AgentView {
	v := AgentView{AgentID: a.ID, State: a.State, Queues: a.Queues, Capacity: a.Capacity, Assigned: []string{}}
	if v.Queues == nil {
		v.Queues = all
	}
	for conv := range a.Claims {
		if c := b.Convs[conv]; c != nil && c.Ticket.Agent == a.ID && !c.Ended {
			v.Assigned = append(v.Assigned, conv)
		}
	}
	return v
}

// Disconnected tells that the last connection of agent id on this node
// closed: its lease runs for one more grace from now and is not renewed
// here any more.
func (r *Router) Disconnected(ctx context.Context, id string) {
	now := r.cfg.Now()
	_, err := r.onAgent(ctx, id, func(a *routing.Agent, _ *routing.Board) ([]routing.Event, error) {
		return routing.Renew(a, now.Add(r.cfg.PresenceGrace), now), nil
	})
	r.logErr("renew the lease of a disconnected agent", err, "agent", id)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
