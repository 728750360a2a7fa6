package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/eventschemas/storedjson"
	"github.com/parley-chat/parley/projections"
)

// queueWatchInterval is how often watched queue figures are compared and
// the changed ones sent.
const queueWatchInterval = 250 * time.Millisecond

// assignedData is the data of conversationAssigned.
type assignedData struct {
	ConversationID string             `json:"conversationId"`
	Queue          string             `json:"queue"`
	Subject        string             `json:"subject"`
	Channel        string             `json:"channel"`
	Customer       domain.Participant `json:"customer"`
	WaitedMs       int64              `json:"waitedMs"`
}

// unassignedData is the data of conversationUnassigned.
type unassignedData struct {
	ConversationID string `json:"conversationId"`
}

// Routed reacts to a routing event (or a participant activity) once it is
// folded: the assigned agent's connections here are told and joined, a
// removed participant's connections leave. The work runs on a goroutine
// of its own, off the feed.
func (h *Hub) Routed(rec domain.RecordedEvent) {
	if h.rt == nil {
		return
	}
	h.rt.mu.Lock()
	anyStaff := len(h.rt.staff) > 0
	h.rt.mu.Unlock()
	if !anyStaff {
		return // nobody here to tell (the history replayed at start)
	}
	switch rec.Type {
	case routing.EventConversationAssigned, routing.EventConversationUnassigned:
		e, err := storedjson.DecodeRouting(rec)
		if err != nil {
			h.logger.Error("decode routing event", "stream", rec.Stream, "err", err)
			return
		}
		switch e := e.(type) {
		case routing.ConversationAssigned:
			if e.Previous != "" {
				h.unassignLocal(e.Previous, e.ConversationID)
			}
			if conns := h.staffConns(e.AgentID); len(conns) > 0 {
				go h.assignLocal(e, conns)
			}
		case routing.ConversationUnassigned:
			h.unassignLocal(e.AgentID, e.ConversationID)
		}
	case domain.EventActivityMessage:
		e, err := storedjson.DecodeEvent(rec)
		m, ok := e.(domain.Message)
		if err != nil || !ok {
			return
		}
		var p domain.ParticipantInfo
		if json.Unmarshal(m.Info, &p) != nil || p.ID == "" {
			return
		}
		switch m.ActivityType {
		case domain.ActivityParticipantAdded:
			if conns := h.staffConns(p.ID); len(conns) > 0 {
				go h.joinAll(m.ConversationID, domain.Participant{ID: p.ID, Name: p.Name, Role: p.Role}, conns)
			}
		case domain.ActivityParticipantRemoved:
			for _, c := range h.staffConns(p.ID) {
				h.dropLocal(c, m.ConversationID)
			}
		}
	}
}

// assignLocal tells the agent's connections here of their new
// conversation, then joins them to it as if they had joined.
func (h *Hub) assignLocal(e routing.ConversationAssigned, conns []*client) {
	d := assignedData{ConversationID: e.ConversationID, Queue: e.Queue, WaitedMs: e.WaitedMs}
	h.rt.board.With(func(b *routing.Board) {
		c := b.Conv(e.ConversationID)
		d.Subject, d.Channel, d.Customer = c.Ticket.Subject, c.Ticket.Channel, domain.Participant{Name: c.CustomerName}
	})
	frame := encodeFrame(EventConversationAssigned, nil, d)
	for _, c := range conns {
		c.send(frame)
	}
	h.joinAll(e.ConversationID, domain.Participant{ID: e.AgentID, Role: domain.RoleAgent}, conns)
}

// joinAll joins each of conns to conversation conv as who, with the role
// of the connection's key where it has one.
func (h *Hub) joinAll(conv string, who domain.Participant, conns []*client) {
	for _, c := range conns {
		p := who
		if c.principal.IsStaff() && !c.principal.Unchecked {
			p.Role = c.principal.Role
		}
		if err := h.joinLocal(c, conv, p); err != nil && domain.ErrorCode(err) != domain.CodeEnded {
			h.logger.Warn("join a routed connection", "conversation", conv, "conn", c.id, "err", err)
			c.send(errorFrame(nil, err))
		}
	}
}

// joinLocal joins connection c to conv as who, as joinConversation would.
func (h *Hub) joinLocal(c *client, conv string, who domain.Participant) error {
	if c.membership(conv) != nil && c.membership(conv).conv == conv {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CommandTimeout)
	defer cancel()
	// Routing joins the agent it assigned: the join is the router's doing,
	// what the agent sends later the agent's.
	meta := domain.Metadata{CorrelationID: h.newID(), Connection: c.id, Actor: domain.SystemActor("router")}
	meta.CausationID = meta.CorrelationID
	res, err := h.svc.Execute(ctx, conv, domain.JoinConversation{Participant: who}, meta)
	if err != nil {
		return err
	}
	m := &member{client: c, conv: conv, who: res.Events[0].Event.(domain.Message).From, actor: domain.ActorOf(c.principal, who)}
	if !c.addMembership(m) {
		return nil
	}
	err = h.infos.With(ctx, conv, func(x *projections.Index) error { return h.joinRoom(ctx, m, x, -1, nil) })
	if err != nil {
		c.removeMembership(conv)
		h.leaveRoom(m)
		_, _ = h.svc.Execute(ctx, conv, domain.LeaveConversation{Participant: m.who}, meta)
	}
	return err
}

// unassignLocal tells agent's connections here that conv is no longer
// theirs, and takes them out of it.
func (h *Hub) unassignLocal(agent, conv string) {
	frame := encodeFrame(EventConversationUnassigned, nil, unassignedData{ConversationID: conv})
	for _, c := range h.staffConns(agent) {
		c.send(frame)
		h.dropLocal(c, conv)
	}
}

// dropLocal takes connection c out of conv without storing a leave: a
// participantRemoved or a transfer stored why.
func (h *Hub) dropLocal(c *client, conv string) {
	c.mu.Lock()
	m := c.joined[conv]
	delete(c.joined, conv)
	c.mu.Unlock()
	if m != nil {
		h.leaveRoom(m)
	}
}

// watchQueues subscribes a supervisor connection to queueUpdated.
func (h *Hub) watchQueues(c *client, f frame) error {
	if h.rt == nil {
		return domain.FieldError(domain.CodeUnknownEvent, "event", "routing is off")
	}
	if c.principal.Role != domain.RoleSupervisor && !c.principal.Unchecked {
		return domain.Errorf(domain.CodeForbidden, "only supervisors watch queues")
	}
	figures := h.rt.board.Queues(h.rt.router.Queues().Names(), h.svc.Now())
	h.rt.mu.Lock()
	h.rt.watchers[c] = nil
	h.rt.mu.Unlock()
	c.ack(f.Ack, map[string]any{"queues": figures})
	return nil
}

// watchLoop sends each watcher the figures of every queue that changed,
// until the hub closes.
func (h *Hub) watchLoop() {
	t := time.NewTicker(queueWatchInterval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.rt.mu.Lock()
		n := len(h.rt.watchers)
		h.rt.mu.Unlock()
		if n == 0 {
			continue
		}
		var frames [][]byte
		for _, q := range h.rt.board.Queues(h.rt.router.Queues().Names(), h.svc.Now()) {
			// The wait of the oldest grows by itself: only a change in
			// the counts, or in which conversation is oldest, is news.
			key := q
			key.OldestWaitMs = min(key.OldestWaitMs, 1)
			b, _ := json.Marshal(key)
			if bytes.Equal(h.rt.last[q.Name], b) {
				continue
			}
			h.rt.last[q.Name] = b
			frames = append(frames, encodeFrame(EventQueueUpdated, nil, q))
		}
		h.rt.mu.Lock()
		for c := range h.rt.watchers {
			for _, f := range frames {
				c.send(f)
			}
		}
		h.rt.mu.Unlock()
	}
}
