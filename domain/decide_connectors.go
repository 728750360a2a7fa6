package domain

import "strings"

// RegisterConnector is a connector's registration for a channel, made from
// the connection Connection. A connector's id is its channel's name.
type RegisterConnector struct {
	ID         string
	Name       string
	Channel    string
	Connection string
}

// RecordDelivery tells that the connector of Channel acknowledged message
// MessageID, stored at Sequence of conversation ConversationID. It is
// decided against the state of that conversation.
type RecordDelivery struct {
	MessageID      string
	ConversationID string
	Sequence       uint64
	Channel        string
	Connector      string
}

// DecideRegisterConnector returns the events of a connector's registration,
// or why it is refused. It decides on the command alone: the connectors
// stream holds no state a registration depends on, since replicas of a
// connector register the same channel from several connections, each time
// they connect.
func DecideRegisterConnector(cmd RegisterConnector, env Env) ([]Event, error) {
	if cmd.ID != cmd.Channel {
		return nil, FieldError(CodeInvalid, "id", "a connector's id must be its channel name: id %q, channel %q", cmd.ID, cmd.Channel)
	}
	if strings.TrimSpace(cmd.Channel) == "" {
		return nil, FieldError(CodeInvalid, "channel", "channel is required")
	}
	if err := CheckText("name", cmd.Name); err != nil {
		return nil, err
	}
	return []Event{ConnectorRegistered{
		ID: cmd.ID, Name: cmd.Name, Channel: cmd.Channel, Connection: cmd.Connection, Timestamp: FormatTime(env.Now),
	}}, nil
}

// DecideDelivery returns the events of a connector's acknowledgement of a
// message of conversation c, or why it is refused: the message must be
// stored in c at the sequence acknowledged, and the connector must be that
// of c's channel. An ended conversation still takes acknowledgements of
// what was sent before its end.
func DecideDelivery(c *Conversation, cmd RecordDelivery, env Env) ([]Event, error) {
	if cmd.MessageID == "" {
		return nil, FieldError(CodeInvalid, "id", "id is required: the id of the message delivered")
	}
	if !c.Started {
		return nil, Errorf(CodeNotFound, "conversation %s does not exist", c.ID)
	}
	seq, ok := c.Messages.Get(cmd.MessageID)
	if !ok {
		return nil, FieldError(CodeMessageNotFound, "id", "message %q is not a message of conversation %s", cmd.MessageID, c.ID)
	}
	if seq != cmd.Sequence {
		return nil, FieldError(CodeInvalid, "id", "message %q is stored at sequence %d, not %d", cmd.MessageID, seq, cmd.Sequence)
	}
	if cmd.Channel != c.Channel || cmd.Connector != c.Channel {
		return nil, FieldError(CodeForbidden, "channel", "conversation %s is on channel %q: the connector of %q does not deliver its messages", c.ID, c.Channel, cmd.Channel)
	}
	return []Event{MessageDelivered{
		MessageID: cmd.MessageID, ConversationID: c.ID, Sequence: cmd.Sequence,
		Channel: cmd.Channel, Connector: cmd.Connector, Timestamp: FormatTime(env.Now),
	}}, nil
}

// DeliveryEventID returns the id of the MessageDelivered event of message
// messageID. It is derived from the message id, so that the store
// recognises a repeated acknowledgement as such where it can.
func DeliveryEventID(messageID string) string { return NameUUID("delivered\x00" + messageID) }
