package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
)

// sendRequest is the body of POST /api/channels/{channel}/messages.
type sendRequest struct {
	RefID          string              `json:"refId"`
	Text           string              `json:"text"`
	Attachments    []domain.Attachment `json:"attachments"`
	From           *domain.Participant `json:"from"`
	IdempotencyKey string              `json:"idempotencyKey"`
}

// sendResponse is the answer to a third-party send.
type sendResponse struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversationId"`
	Sequence       uint64 `json:"sequence"`
}

// sendToCustomer stores a third party's message in the customer's active
// conversation on the channel (started when there is none); the channel's
// connector delivers it.
func (s *Server) sendToCustomer(c echo.Context) error {
	channel := c.Param("channel")
	p := principalOf(c)
	if err := p.CanSendToCustomers(channel); err != nil {
		return err
	}
	if !s.cfg.KnownChannel(channel) {
		return domain.FieldError(domain.CodeChannelNotFound, "channel", "channel %q is not known: use sms, fb, twitter or a channel with a registered connector", channel)
	}
	body, err := s.readJSONBody(c)
	if err != nil {
		return err
	}
	var req sendRequest
	if err := decodeJSON(body, &req, true); err != nil {
		return domain.Errorf(domain.CodeInvalid, "the body must be one JSON object {refId, text, attachments?, from?, idempotencyKey?}: %s", err.Error())
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = c.Request().Header.Get("Idempotency-Key")
	}
	sender := domain.Participant{ID: p.Name, Name: p.Name, Role: domain.RoleBot}
	if sender.ID == "" {
		sender.ID, sender.Name = "third-party", "Third party"
	}
	if req.From != nil && strings.TrimSpace(req.From.ID) != "" {
		sender.ID, sender.Name = req.From.ID, req.From.Name
	}
	msg := domain.Message{Type: domain.TypeChatMessage, Text: req.Text, Attachments: req.Attachments}
	if req.IdempotencyKey != "" {
		// The same key always names the same message: a retry is recognised.
		msg.ID = domain.NameUUID("send\x00" + channel + "\x00" + req.RefID + "\x00" + req.IdempotencyKey)
	}
	res, err := s.svc.PostOnChannel(c.Request().Context(), s.cfg.Directory, conversations.ChannelMessage{
		Channel: channel, RefID: req.RefID, Sender: sender, Message: msg,
	}, s.metadata(c))
	if err != nil {
		return err
	}
	stored := res.Events[len(res.Events)-1].Event.(domain.Message)
	return c.JSON(http.StatusAccepted, sendResponse{ID: stored.ID, ConversationID: stored.ConversationID, Sequence: *stored.Sequence})
}

// Delivery statuses of a message to a connector-borne customer.
const (
	deliveryDelivered     = "delivered"
	deliveryPending       = "pending"
	deliveryNotApplicable = "not_applicable"
)

// deliveryStatus is the answer of GET .../messages/{id}/delivery.
type deliveryStatus struct {
	MessageID      string `json:"messageId"`
	ConversationID string `json:"conversationId"`
	Channel        string `json:"channel"`
	Status         string `json:"status"`
	DeliveredAt    string `json:"deliveredAt,omitempty"`
	Connector      string `json:"connector,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

// getDelivery tells whether a message reached its customer through the
// channel's connector, from the recorded MessageDelivered events.
func (s *Server) getDelivery(c echo.Context) error {
	p := principalOf(c)
	if p.Role != domain.RoleSender && p.Role != domain.RoleConnector {
		if err := p.CanAudit(); err != nil {
			return err
		}
	}
	conv, id := c.Param("id"), c.Param("message")
	info, msg, err := s.infos.Message(c.Request().Context(), conv, id)
	if err != nil {
		return err
	}
	st := deliveryStatus{MessageID: id, ConversationID: conv, Channel: info.Conversation.Channel, Status: deliveryPending}
	customer := info.Conversation.Customer.ID
	switch {
	case info.Conversation.Channel == "web":
		st.Status, st.Reason = deliveryNotApplicable, "web customers receive messages over websockets"
	case msg.From.ID == customer:
		st.Status, st.Reason = deliveryNotApplicable, "the customer sent this message"
	case !msg.VisibleTo(customer, domain.RoleCustomer):
		st.Status, st.Reason = deliveryNotApplicable, "this message is not for the customer"
	}
	if st.Status != deliveryPending {
		return c.JSON(http.StatusOK, st)
	}
	recs, err := s.store.ReadStream(c.Request().Context(), domain.DeliveryStream(conv), 0, maxPage)
	if err != nil && !errors.Is(err, domain.ErrStreamNotFound) {
		return err
	}
	for _, r := range recs {
		var d domain.MessageDelivered
		if json.Unmarshal(r.Data, &d) == nil && d.MessageID == id {
			st.Status, st.DeliveredAt, st.Connector = deliveryDelivered, d.Timestamp, d.Connector
			break
		}
	}
	return c.JSON(http.StatusOK, st)
}
