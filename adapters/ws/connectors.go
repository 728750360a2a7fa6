package ws

import (
	"context"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/eventschemas/storedjson"
	"github.com/parley-chat/parley/projections"
)

// Connector protocol events, besides registerConnector.
const (
	// EventMessageDelivered is how a connector acknowledges a message it
	// was given: {"event":"messageDelivered","data":{"id":MESSAGE_ID}}.
	EventMessageDelivered = "messageDelivered"
)

// registerData is the data of registerConnector.
type registerData struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Channel string `json:"channel"`
}

// channelData is the part of a connector's sendMessage that names the customer.
type channelData struct {
	Channel string `json:"channel"`
	RefID   string `json:"refId"`
}

// deliveredData is the data of messageDelivered.
type deliveredData struct {
	ID string `json:"id"`
}

// outbound is what a connector receives: the message, addressed to the
// customer's account on the channel.
type outbound struct {
	domain.Message
	Channel string `json:"channel"`
}

func (h *Hub) registerConnector(ctx context.Context, c *client, f frame, meta domain.Metadata) error {
	var d registerData
	if err := decodeData(f.Data, &d); err != nil {
		return err
	}
	if err := c.principal.CanServeChannel(d.Channel); err != nil {
		return err
	}
	if meta.Actor.IsZero() {
		meta.Actor = domain.Actor{Kind: domain.ActorConnector, ID: d.Channel}
	}
	if err := h.svc.RegisterConnector(ctx, domain.RegisterConnector{ID: d.ID, Name: d.Name, Channel: d.Channel, Connection: c.id}, meta); err != nil {
		return err
	}
	h.connectors.Register(d.Channel)
	c.mu.Lock()
	c.channel = d.Channel
	c.mu.Unlock()
	h.mu.Lock()
	h.connectorsByChannel[d.Channel] = append(h.connectorsByChannel[d.Channel], c)
	h.mu.Unlock()
	h.logger.Info("connector registered", "channel", domain.Clip(d.Channel), "name", domain.Clip(d.Name), "conn", c.id)
	c.ack(f.Ack, map[string]any{"id": d.ID, "channel": d.Channel, "pending": h.connectors.Pending(d.Channel)})
	h.kick()
	return nil
}

// sendFromChannel stores what a customer wrote on a connector's channel.
func (h *Hub) sendFromChannel(ctx context.Context, c *client, f frame, msg domain.Message, meta domain.Metadata) error {
	var d channelData
	if err := decodeData(f.Data, &d); err != nil {
		return err
	}
	if d.Channel == "" {
		d.Channel = c.connectorChannel()
	}
	if err := c.principal.CanSendToCustomers(d.Channel); err != nil {
		return err
	}
	if d.Channel != c.connectorChannel() && !c.principal.Unchecked {
		return domain.FieldError(domain.CodeForbidden, "channel", "this connection is the connector of %q, not %q", c.connectorChannel(), d.Channel)
	}
	msg.From, msg.To = domain.Participant{}, nil
	if meta.Actor.IsZero() {
		meta.Actor = domain.Actor{Kind: domain.ActorConnector, ID: d.Channel}
	}
	res, err := h.svc.PostOnChannel(ctx, h.connectors, conversations.ChannelMessage{Channel: d.Channel, RefID: d.RefID, Message: msg}, meta)
	if err != nil {
		return err
	}
	c.ack(f.Ack, res.Events[len(res.Events)-1].Event)
	return nil
}

func (h *Hub) messageDelivered(ctx context.Context, c *client, f frame, meta domain.Metadata) error {
	var d deliveredData
	if err := decodeData(f.Data, &d); err != nil {
		return err
	}
	conv, seq, ok := h.connectors.Acked(d.ID, c.id)
	if !ok {
		return domain.FieldError(domain.CodeInvalid, "id", "message %q is not awaiting an acknowledgement from this connection", d.ID)
	}
	if meta.Actor.IsZero() {
		meta.Actor = domain.Actor{Kind: domain.ActorConnector, ID: c.connectorChannel()}
	}
	err := h.svc.RecordDelivery(ctx, domain.RecordDelivery{
		MessageID: d.ID, ConversationID: conv, Sequence: uint64(seq), Channel: c.connectorChannel(), Connector: c.connectorChannel(),
	}, meta)
	if err != nil {
		return err
	}
	h.connectors.Delivered(conv, seq)
	c.ack(f.Ack, map[string]any{"id": d.ID})
	h.kick()
	return nil
}

// kick wakes the dispatcher.
func (h *Hub) kick() {
	select {
	case h.connectorWake <- struct{}{}:
	default:
	}
}

// Dispatch sends waiting messages to connectors until ctx ends: at most one
// message per conversation is in flight, so each customer receives its
// messages in order; one unacknowledged for AckTimeout is sent again.
func (h *Hub) Dispatch(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.connectorWake:
		case <-tick.C:
			if n := h.connectors.Release("", time.Now().Add(-h.cfg.AckTimeout)); n > 0 {
				h.logger.Warn("redelivering unacknowledged messages", "count", n)
			}
		}
		h.mu.Lock()
		channels := make(map[string][]*client, len(h.connectorsByChannel))
		for ch, cs := range h.connectorsByChannel {
			channels[ch] = append([]*client(nil), cs...)
		}
		h.mu.Unlock()
		for ch, sessions := range channels {
			h.dispatchChannel(ctx, ch, sessions)
		}
	}
}

func (h *Hub) dispatchChannel(ctx context.Context, channel string, sessions []*client) {
	room := h.cfg.ConnectorWindow*len(sessions) - h.connectors.InFlight(channel)
	if room <= 0 {
		return
	}
	for i, cl := range h.connectors.Claim(channel, room) {
		msg, seq, found, err := h.nextForCustomer(ctx, cl)
		switch {
		case err != nil:
			h.logger.Error("read message to deliver", "conversation", cl.Conversation, "err", err)
			h.connectors.Skip(cl.Conversation, cl.After)
			continue
		case !found:
			h.connectors.Skip(cl.Conversation, seq)
			continue
		}
		if !h.claimDelivery(ctx, cl, seq, msg.ID) {
			continue
		}
		s := sessions[i%len(sessions)]
		msg.RefID = cl.RefID
		h.connectors.Sent(cl.Conversation, seq, msg.ID, s.id, time.Now())
		s.send(encodeFrame(EventMessageArrived, nil, outbound{Message: msg, Channel: channel}))
	}
}

// nextForCustomer finds the first message after the claim's sequence that
// the customer should receive; when there is none, seq is the last one read.
func (h *Hub) nextForCustomer(ctx context.Context, cl projections.Claim) (domain.Message, int64, bool, error) {
	after := cl.After
	for {
		recs, err := h.store.ReadStream(ctx, domain.StreamName(cl.Conversation), domain.Revision(after+1), 100)
		if err != nil {
			return domain.Message{}, after, false, err
		}
		for _, rec := range recs {
			after = int64(rec.Revision)
			e, err := storedjson.DecodeEvent(rec)
			if err != nil {
				return domain.Message{}, after, false, err
			}
			m, ok := e.(domain.Message)
			if ok && m.From.ID != cl.Customer && m.ActivityType != domain.ActivityTyping && m.VisibleTo(cl.Customer, domain.RoleCustomer) {
				return m, after, true, nil
			}
		}
		if len(recs) < 100 {
			return domain.Message{}, after, false, nil
		}
	}
}

// dropConnector forgets a closed connector connection and frees what it had
// in flight, to be sent again.
func (h *Hub) dropConnector(c *client) {
	ch := c.connectorChannel()
	if ch == "" {
		return
	}
	h.mu.Lock()
	cs := h.connectorsByChannel[ch]
	for i := range cs {
		if cs[i] == c {
			cs = append(cs[:i:i], cs[i+1:]...)
			break
		}
	}
	if len(cs) == 0 {
		delete(h.connectorsByChannel, ch)
	} else {
		h.connectorsByChannel[ch] = cs
	}
	h.mu.Unlock()
	h.connectors.Release(c.id, time.Time{})
	h.kick()
}
