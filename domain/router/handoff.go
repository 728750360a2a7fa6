package router

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// HandOff is a checked transfer: to a queue, or offered to one agent.
type HandOff struct {
	Conversation string
	By           string
	Queue        string
	AgentID      string
}

// handOffInfo is the info of a handOff ActivityMessage sent by staff.
type handOffInfo struct {
	Queue   string `json:"queue"`
	AgentID string `json:"agentId"`
}

// PrepareHandOff checks a handOff that staff member by sent in conversation
// conv, before it is stored: the queue must exist (unknown_queue), and an
// agent must be ready with free capacity (agent_unavailable). With neither,
// the conversation goes back to its current queue.
func (r *Router) PrepareHandOff(conv, by string, info json.RawMessage) (HandOff, error) {
	var in handOffInfo
	if len(info) > 0 {
		if err := json.Unmarshal(info, &in); err != nil {
			return HandOff{}, domain.FieldError(domain.CodeInvalid, "info", "handOff info must be {\"queue\"} or {\"agentId\"}")
		}
	}
	if in.Queue != "" && in.AgentID != "" {
		return HandOff{}, domain.FieldError(domain.CodeInvalid, "info", "a handOff names a queue or an agent, not both")
	}
	h := HandOff{Conversation: conv, By: by, AgentID: in.AgentID}
	if in.Queue != "" {
		q, err := r.cfg.Queues.Lookup(in.Queue)
		if err != nil {
			return HandOff{}, err
		}
		h.Queue = q
	}
	now := r.cfg.Now()
	var err error
	r.cfg.Board.With(func(b *routing.Board) {
		c := b.Convs[conv]
		if h.Queue == "" {
			h.Queue = r.cfg.Queues.ForSubject("")
			if c != nil && c.Ticket.Queue != "" {
				h.Queue = c.Ticket.Queue
			} else if c != nil {
				h.Queue = r.cfg.Queues.ForSubject(c.Ticket.Subject)
			}
		}
		if h.AgentID != "" {
			a := b.Agents[h.AgentID]
			if a == nil || !a.Ready(now) || a.Free() == 0 {
				err = domain.FieldError(domain.CodeAgentUnavailable, "info.agentId", "agent %s is not ready with free capacity", h.AgentID)
			}
		}
	})
	return h, err
}

// Transfer queues the conversation of a stored handOff again. It waits
// briefly for the routing state when another node changed the
// conversation's routing at the same moment.
func (r *Router) Transfer(ctx context.Context, h HandOff) error {
	decide := func(c *routing.Conv, _ *routing.Board) ([]routing.Event, error) {
		return routing.Enqueue{Queue: h.Queue, Reason: routing.ReasonHandOff, OfferedTo: h.AgentID, By: h.By, Now: r.cfg.Now()}.Decide(&c.Ticket)
	}
	_, err := r.onTicket(ctx, h.Conversation, decide)
	for attempt := 0; err == errStale && attempt < 50; attempt++ {
		if err = sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
		_, err = r.onTicket(ctx, h.Conversation, decide)
	}
	if err == errStale {
		return domain.Errorf(domain.CodeConflict, "conversation %s is being routed; retry", h.Conversation)
	}
	if err != nil {
		return err
	}
	if h.AgentID != "" {
		r.Kick() // the agent was ready with free capacity a moment ago
		return nil
	}
	// The staff's handOff told the customer where it waits; whether anyone
	// can take it now is told as on first queueing. The transfer is done
	// whether or not that message could be stored.
	r.logErr("announce a transferred conversation", r.unavailable(ctx, h.Conversation, h.Queue), "conversation", h.Conversation)
	return nil
}
