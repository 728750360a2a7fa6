package domain

import (
	"context"
	"hash/fnv"
	"strings"
	"sync"
)

// Streams and event types of channel connectors.
const (
	// ConnectorsStream records every connector registration.
	ConnectorsStream = "connectors"
	// DeliveryStreamPrefix prefixes the stream that records the deliveries
	// of one conversation's messages through connectors.
	DeliveryStreamPrefix = "delivery-"

	EventConnectorRegistered = "ConnectorRegistered"
	EventMessageDelivered    = "MessageDelivered"
)

// DeliveryStream returns the delivery stream of a conversation.
func DeliveryStream(conversationID string) string { return DeliveryStreamPrefix + conversationID }

// ConnectorRegistered records that a connector registered for a channel.
type ConnectorRegistered struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Channel string `json:"channel"`
	// Connection is the connection that registered; replicas register
	// from several connections.
	Connection string `json:"connection"`
	Timestamp  string `json:"timestamp"`
}

// EventType implements Event.
func (ConnectorRegistered) EventType() string { return EventConnectorRegistered }

// MessageDelivered records that a connector acknowledged a message.
type MessageDelivered struct {
	MessageID      string `json:"messageId"`
	ConversationID string `json:"conversationId"`
	Sequence       uint64 `json:"sequence"`
	Channel        string `json:"channel"`
	Connector      string `json:"connector"`
	Timestamp      string `json:"timestamp"`
}

// EventType implements Event.
func (MessageDelivered) EventType() string { return EventMessageDelivered }

// ChannelDirectory knows each customer's active conversation on each channel.
type ChannelDirectory interface {
	// Active returns the active conversation of the customer refID on
	// channel, if any.
	Active(channel, refID string) (string, bool)
	// Remember records a conversation just started, before the directory
	// could learn of it from the store.
	Remember(channel, refID, conversationID, customerID string)
}

// ChannelMessage is a message to or from a customer known only by channel
// and account (refId): an SMS from a customer, or a campaign's message.
type ChannelMessage struct {
	Channel string
	RefID   string
	// Sender is the staff or system participant that sends to the
	// customer; zero means the customer is the sender.
	Sender  Participant
	Message Message
}

// channelLocks serialises messages of one customer on one channel, so that
// two messages of a new customer do not start two conversations.
type channelLocks struct{ mu [64]sync.Mutex }

func (l *channelLocks) lock(channel, refID string) func() {
	h := fnv.New32a()
	h.Write([]byte(channel + "\x00" + refID))
	m := &l.mu[h.Sum32()%64]
	m.Lock()
	return m.Unlock
}

// PostOnChannel posts cm to the customer's active conversation on the
// channel, starting one (as init would) when there is none, and joining the
// sender first when needed.
func (s *Service) PostOnChannel(ctx context.Context, dir ChannelDirectory, cm ChannelMessage, meta Metadata) (Result, error) {
	if strings.TrimSpace(cm.RefID) == "" {
		return Result{}, FieldError(CodeInvalid, "refId", "refId is required: the customer's account on the channel")
	}
	// Refused before a conversation is started or the sender joined for it.
	if err := checkMessageTexts(cm.Message); err != nil {
		return Result{}, err
	}
	if err := CheckText("from.name", cm.Sender.Name); err != nil {
		return Result{}, err
	}
	unlock := s.channels.lock(cm.Channel, cm.RefID)
	defer unlock()

	conv, customer, err := s.activeConversation(ctx, dir, cm.Channel, cm.RefID, meta)
	if err != nil {
		return Result{}, err
	}
	sender := cm.Sender
	if sender.ID == "" {
		sender = customer
	}
	if err := s.ensureJoined(ctx, conv, sender, meta); err != nil {
		return Result{}, err
	}
	m := cm.Message
	m.From = Participant{ID: sender.ID}
	m.ConversationID = conv
	return s.Execute(ctx, conv, PostMessage{Message: m}, meta)
}

// activeConversation returns the customer's active conversation on the
// channel and the customer participant, starting a conversation if needed.
func (s *Service) activeConversation(ctx context.Context, dir ChannelDirectory, channel, refID string, meta Metadata) (string, Participant, error) {
	if id, ok := dir.Active(channel, refID); ok {
		var open bool
		var customer Participant
		if err := s.inspect(ctx, id, func(c *Conversation) { open, customer = c.Started && !c.Ended, c.Customer }); err != nil {
			return "", Participant{}, err
		}
		if open {
			return id, customer, nil
		}
	}
	personal := PersonalData{RefID: refID}
	if channel == "sms" {
		personal.Phone = refID
	}
	started, err := s.Start(ctx, StartConversation{Channel: channel, Personal: personal}, meta)
	if err != nil {
		return "", Participant{}, err
	}
	dir.Remember(channel, refID, started.ConversationID, started.Customer.ParticipantID)
	return started.ConversationID, Participant{ID: started.Customer.ParticipantID, Name: personal.DisplayName(), Role: RoleCustomer}, nil
}

// ensureJoined joins p to conv unless it has joined already.
func (s *Service) ensureJoined(ctx context.Context, conv string, p Participant, meta Metadata) error {
	var joined bool
	err := s.inspect(ctx, conv, func(c *Conversation) {
		known := c.Participants[p.ID]
		joined = known != nil && known.Joined()
	})
	if err != nil || joined {
		return err
	}
	_, err = s.Execute(ctx, conv, JoinConversation{Participant: p}, meta)
	return err
}

// inspect calls fn with the current state of conversation id, under the
// conversation's lock; fn must not keep c.
func (s *Service) inspect(ctx context.Context, id string, fn func(c *Conversation)) error {
	mu := &s.locks[lockIndex(id)]
	mu.Lock()
	defer mu.Unlock()
	c, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.catchUp(ctx, c); err != nil {
		return err
	}
	fn(c)
	return nil
}

// RegisterConnector records a connector's registration.
func (s *Service) RegisterConnector(ctx context.Context, r ConnectorRegistered, meta Metadata) error {
	if r.ID != r.Channel {
		return FieldError(CodeInvalid, "id", "a connector's id must be its channel name: id %q, channel %q", r.ID, r.Channel)
	}
	if strings.TrimSpace(r.Channel) == "" {
		return FieldError(CodeInvalid, "channel", "channel is required")
	}
	r.Timestamp = FormatTime(s.now())
	return s.appendAny(ctx, ConnectorsStream, s.newID(), r, meta)
}

// RecordDelivery records that a connector acknowledged a message. The
// event id is derived from the message id, so a repeated acknowledgement
// is recognised as such by the store where it can be.
func (s *Service) RecordDelivery(ctx context.Context, d MessageDelivered, meta Metadata) error {
	d.Timestamp = FormatTime(s.now())
	return s.appendAny(ctx, DeliveryStream(d.ConversationID), NameUUID("delivered\x00"+d.MessageID), d, meta)
}

func (s *Service) appendAny(ctx context.Context, stream, id string, e Event, meta Metadata) error {
	data, err := EncodeEvent(id, e, meta)
	if err != nil {
		return err
	}
	_, err = s.store.Append(ctx, stream, Any(), []EventData{data})
	return err
}
