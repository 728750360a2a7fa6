package domain

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
