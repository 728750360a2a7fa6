package ws

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"time"

	"github.com/olahol/melody"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
	"github.com/parley-chat/parley/projections"
)

// The way in: melody's reader queues each frame a connection sends in its
// inbox (receive), a worker handles the inbox's frames in order (drain,
// handle), and message dispatches a frame to the handler of its event
// (sendMessage and the others below), which runs the command and acks.

// Frames are handled on worker goroutines rather than on the goroutine that
// reads the socket (melody's): handling a command (decoding, validation, the
// store) grows a goroutine's stack to its depth, and a reader keeps that
// stack for as long as its connection is open, even idle. A worker belongs
// to one connection while that connection has frames to handle, which keeps
// its frames in order and lets a slow command delay only its own
// connection; then it waits for the next connection with work, or ends when
// it has waited long enough or enough others wait already.

// inboxSize is how many frames of one connection may wait to be handled.
// Once that many wait, the reader stops reading the socket, which slows the
// client down through TCP, as handling frames on the reader did; a bound of
// frames also bounds the memory they hold (MaxFrameBytes each).
const inboxSize = 4

// A worker that waits for work longer than defaultWorkerIdle ends, so that the
// workers follow the load: commands finish together, at each group commit
// of the store, and a worker that ended as soon as others were idle was
// started again for the next wave of frames a few milliseconds later, its
// new stack growing to a command's depth again (one start per three chat
// messages with 1,000 conversations, 6% of the server's CPU in stack
// copies). maxIdleWorkers bounds the workers that wait at once whatever
// the load: past it a worker ends at once. A waiting worker's stack shrinks
// back at each garbage collection.
const (
	defaultWorkerIdle = 2 * time.Second
	maxIdleWorkers    = 4096
)

// internalError is the close frame of a connection whose frame made the
// server fail.
var internalError = melody.FormatCloseMessage(1011, "internal error")

// inbound is one frame read from a client.
type inbound struct {
	raw    []byte
	binary bool
}

// receive queues a frame that melody read from c, blocking while c's inbox
// is full, and makes sure a worker handles it.
func (h *Hub) receive(c *client, raw []byte, binary bool) {
	c.unhandled.Add(1)
	c.inbox <- inbound{raw: raw, binary: binary}
	if c.working.CompareAndSwap(false, true) {
		h.schedule(c)
	}
}

// schedule gives c, whose inbox the caller now owns, to an idle worker or a
// new one.
func (h *Hub) schedule(c *client) {
	select {
	case h.runq <- c:
	default:
		go h.work(c)
	}
}

// work handles c's frames, then those of the connections it is given, until
// enough other workers are idle or the hub closes.
func (h *Hub) work(c *client) {
	idle := time.NewTimer(h.workerIdle)
	defer idle.Stop()
	for {
		h.drain(c)
		if h.idleWorkers.Add(1) > maxIdleWorkers {
			h.idleWorkers.Add(-1)
			return
		}
		idle.Reset(h.workerIdle)
		select {
		case c = <-h.runq:
			h.idleWorkers.Add(-1)
		case <-idle.C:
			h.idleWorkers.Add(-1)
			return
		case <-h.stop:
			h.idleWorkers.Add(-1)
			return
		}
	}
}

// drain handles c's frames until its inbox is empty, then gives up the inbox.
func (h *Hub) drain(c *client) {
	for {
		select {
		case in := <-c.inbox:
			h.handle(c, in)
		default:
			c.working.Store(false)
			// A frame queued after the inbox looked empty, whose reader saw
			// working still set, is this worker's to handle, unless that
			// reader has scheduled another worker since.
			if len(c.inbox) == 0 || !c.working.CompareAndSwap(false, true) {
				return
			}
		}
	}
}

// handle handles one frame. A failure that escapes as a panic closes the
// connection and leaves the worker running.
func (h *Hub) handle(c *client, in inbound) {
	defer c.unhandled.Done()
	defer func() {
		if v := recover(); v != nil {
			h.logger.Error("websocket frame handling panicked", "conn", c.id, "panic", v, "stack", string(debug.Stack()))
			c.close(internalError)
		}
	}()
	if in.binary {
		h.binaryMessage(c)
		return
	}
	h.message(c, in.raw)
}

// joinData is the data of joinConversation.
type joinData struct {
	ConversationID string      `json:"conversationId"`
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Role           domain.Role `json:"role"`
	// Since is the last sequence the client saw; conversationInfo then holds
	// the oldest messages after it. On a connection that has joined the
	// conversation already, it asks for the next page instead.
	Since *int64 `json:"since"`
	// Token is a customer token from init, for clients that cannot set
	// headers on the websocket upgrade (browsers).
	Token string `json:"token"`
}

// infoData is the data of conversationInfo but its messages, which are
// written after it as they are read (infoFrame). Participant is the list of
// participants, as the document names it beside role; Self is the joiner.
// Participants is the same list under the name it had before (ADR 23),
// kept for one release.
type infoData struct {
	Conversation projections.Summary           `json:"conversation"`
	Participant  []projections.ParticipantView `json:"participant"`
	Participants []projections.ParticipantView `json:"participants"`
	Role         domain.Role                   `json:"role"`
	Self         domain.Participant            `json:"self"`
	// More, Since and Before are the page's (projections.Info): with since,
	// More tells that messages up to the join's sequence remain, and Since
	// is the since that asks for them.
	More   bool   `json:"more"`
	Since  *int64 `json:"since,omitempty"`
	Before *int64 `json:"before,omitempty"`
	// LostInRepair is the page's (projections.Info).
	LostInRepair []int64 `json:"lostInRepair,omitempty"`
}

// joinAck is the ack of joinConversation.
type joinAck struct {
	ConversationID string             `json:"conversationId"`
	Participant    domain.Participant `json:"participant"`
	// Sequence is the last sequence conversationInfo and its pages cover:
	// later messages arrive live.
	Sequence int64 `json:"sequence"`
}

// endData is the data of endConversation.
type endData struct {
	ConversationID string `json:"conversationId"`
}

// allow spends one frame of the connection's budget, answering rate_limited
// when it is spent; the frame is refused before parsing, so a flood costs the
// server as little as it can. Connectors acknowledge every message they
// carry, so their pace is set by the connector window instead.
func (h *Hub) allow(c *client) bool {
	if c.principal.Role == domain.RoleConnector || c.limiter.Allow() {
		return true
	}
	c.send(errorFrame(nil, domain.Errorf(domain.CodeRateLimited, "more than %g frames per second; slow down", h.cfg.FramesPerSecond)))
	return false
}

// message handles one client text frame. Frames of one connection are
// handled in the order they arrive; a bad frame is answered with an error
// frame and never closes the connection.
func (h *Hub) message(c *client, raw []byte) {
	if !h.allow(c) {
		return
	}
	f, err := decodeFrame(raw)
	if err != nil {
		c.send(errorFrame(f.Ack, err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CommandTimeout)
	defer cancel()
	meta := domain.Metadata{CorrelationID: h.newID(), Connection: c.id, Actor: domain.ActorOf(c.principal, domain.Participant{})}
	meta.CausationID = meta.CorrelationID
	if h.cfg.OnCommand != nil {
		var done func(error)
		ctx, done = h.cfg.OnCommand(ctx, f.Event)
		defer func() { done(err) }()
	}
	switch f.Event {
	case EventJoinConversation:
		err = h.join(ctx, c, f, meta)
	case EventSendMessage:
		err = h.sendMessage(ctx, c, f, meta)
	case EventEndConversation:
		err = h.end(ctx, c, f, meta)
	case EventRegisterConnector:
		err = h.registerConnector(ctx, c, f, meta)
	case EventMessageDelivered:
		err = h.messageDelivered(ctx, c, f, meta)
	case EventAgentState:
		err = h.agentState(ctx, c, f)
	case EventWatchQueues:
		err = h.watchQueues(c, f)
	default:
		err = domain.FieldError(domain.CodeUnknownEvent, "event", "unknown event %q", f.Event)
	}
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeInternal {
			h.logger.Error("websocket command failed", "event", domain.Clip(f.Event), "conn", c.id, "err", err)
		}
		c.send(errorFrame(f.Ack, err))
	}
}

// binaryMessage refuses a binary frame.
func (h *Hub) binaryMessage(c *client) {
	// Binary frames spend the connection's budget too, or a flood of them
	// would never be told to slow down.
	if !h.allow(c) {
		return
	}
	c.send(errorFrame(nil, domain.Errorf(domain.CodeInvalid, "frames must be JSON text frames, not binary")))
}

func (h *Hub) join(ctx context.Context, c *client, f frame, meta domain.Metadata) error {
	var d joinData
	if err := decodeData(f.Data, &d); err != nil {
		return err
	}
	if d.ConversationID == "" {
		return domain.FieldError(domain.CodeInvalid, "conversationId", "conversationId is required")
	}
	if m := c.membership(d.ConversationID); m != nil {
		if d.Since != nil {
			return h.infoPage(ctx, m, *d.Since, f.Ack)
		}
		return domain.FieldError(domain.CodeInvalid, "conversationId", "this connection has joined conversation %s already", d.ConversationID)
	}
	principal := c.principal
	if d.Token != "" {
		p, err := h.cfg.Credentials.Authenticate(d.Token)
		if err != nil {
			return err
		}
		principal = p
	}
	who, err := principal.CanJoin(d.ConversationID, domain.Participant{ID: d.ID, Name: d.Name, Role: d.Role})
	if err != nil {
		return err
	}
	if n := h.roomSize(d.ConversationID); n >= h.cfg.MaxSocketsPerConversation {
		return domain.Errorf(domain.CodeLimitExceeded, "conversation %s has %d connections here, the most allowed", d.ConversationID, n)
	}
	meta.Actor = domain.ActorOf(principal, who)
	res, err := h.svc.Execute(ctx, d.ConversationID, domain.JoinConversation{Participant: who}, meta)
	if err != nil {
		return err
	}
	m := &member{client: c, conv: d.ConversationID, who: res.Events[0].Event.(domain.Message).From, actor: meta.Actor}
	if !c.addMembership(m) {
		return domain.FieldError(domain.CodeInvalid, "conversationId", "this connection has joined conversation %s already", d.ConversationID)
	}
	since := int64(-1)
	if d.Since != nil {
		since = *d.Since
	}
	err = h.infos.With(ctx, d.ConversationID, func(x *projections.Index) error {
		return h.joinRoom(ctx, m, x, since, f.Ack)
	})
	if err != nil {
		// The join is stored but this socket will never be in the room:
		// store the matching leave, so the participant is not left joined.
		c.removeMembership(d.ConversationID)
		h.leaveRoom(m)
		h.storeLeave(ctx, m.conv, m.who, meta)
	}
	return err
}

func (h *Hub) sendMessage(ctx context.Context, c *client, f frame, meta domain.Metadata) error {
	msg, ok := storedjson.DecodeMessage(f.Data)
	if !ok {
		if err := decodeData(f.Data, &msg); err != nil {
			return err
		}
	}
	m := c.membership(msg.ConversationID)
	if m == nil && c.connectorChannel() != "" {
		return h.sendFromChannel(ctx, c, f, msg, meta)
	}
	if m == nil {
		if msg.ConversationID == "" {
			return domain.FieldError(domain.CodeInvalid, "conversationId", "conversationId is required")
		}
		return domain.Errorf(domain.CodeNotParticipant, "join conversation %s on this connection before sending to it", msg.ConversationID)
	}
	if msg.From.ID != "" && msg.From.ID != m.who.ID {
		return domain.FieldError(domain.CodeForbidden, "from", "this connection speaks as %s, not %s", m.who.ID, msg.From.ID)
	}
	msg.From = m.who
	msg.ConversationID = m.conv
	meta.Actor = m.actor
	if msg.Type == domain.TypeActivityMessage && msg.ActivityType == domain.ActivityTyping && !h.cfg.StoreTyping {
		return h.relayTyping(c, m, msg, f.Ack)
	}
	if msg.Type == domain.TypeActivityMessage && msg.ActivityType == domain.ActivityHandOff && m.who.Role.IsStaff() && h.rt != nil {
		return h.handOff(ctx, c, m, msg, f.Ack, meta)
	}
	res, err := h.svc.Execute(ctx, m.conv, domain.PostMessage{Message: msg}, meta)
	if err != nil {
		return err
	}
	last := res.Events[len(res.Events)-1]
	if stored, ok := last.Event.(domain.Message); ok && last.Data != nil && len(f.Ack) > 0 {
		// The ack carries the message as stored, sequence spliced in.
		c.send(storedAckFrame(f.Ack, last.Data, uint64(last.Revision), stored))
		return nil
	}
	c.ack(f.Ack, last.Event)
	return nil
}

// relayTyping passes a typing activity on without storing it. It reaches
// only the members on this process: typing is a hint, not a record.
func (h *Hub) relayTyping(c *client, m *member, msg domain.Message, ack json.RawMessage) error {
	msg.ID = h.newID()
	msg.Timestamp = domain.FormatTime(h.svc.Now())
	h.relay(m, msg)
	c.ack(ack, msg)
	return nil
}

func (h *Hub) end(ctx context.Context, c *client, f frame, meta domain.Metadata) error {
	var d endData
	if err := decodeData(f.Data, &d); err != nil {
		return err
	}
	m := c.membership(d.ConversationID)
	if m == nil {
		return domain.Errorf(domain.CodeNotParticipant, "join conversation %s on this connection before ending it", d.ConversationID)
	}
	meta.Actor = m.actor
	res, err := h.svc.Execute(ctx, m.conv, domain.EndConversation{By: m.who}, meta)
	if err != nil {
		return err
	}
	c.ack(f.Ack, res.Events[0].Event)
	return nil
}
