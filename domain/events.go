package domain

import (
	"encoding/json"
	"fmt"
)

// Event types stored on conversation streams.
const (
	EventConversationStarted = "ConversationStarted"
	EventChatMessage         = TypeChatMessage
	EventActivityMessage     = TypeActivityMessage
)

// SchemaVersions is the current schema version of each event type written by
// this build. eventschemas holds a schema for each, and a test keeps the two in
// step.
var SchemaVersions = map[string]int{
	EventConversationStarted: 4,
	EventChatMessage:         2,
	EventActivityMessage:     2,
	EventPersonalDataErased:  1,

	EventConnectorRegistered: 1,
	EventMessageDelivered:    1,

	EventTranscriptEmailRequested: 1,
	EventTranscriptEmailSent:      1,
	EventTranscriptEmailFailed:    1,

	EventLostInRepair: 1,

	// The bookkeeping of webhooks (domain/webhook).
	"WebhookClaimed":      1,
	"WebhookCheckpointed": 1,
	"WebhookControlled":   1,
	// Claims of a delivery or an email attempt across nodes (domain/claims.go).
	EventClaimed: 1,
}

// Event is something that happened to a conversation.
type Event interface {
	// EventType is the name the event is stored under, the key of the
	// registry and of its schema.
	EventType() string
}

// ConversationStarted opens a conversation: the data of POST /api/customer/init.
type ConversationStarted struct {
	ConversationID string `json:"conversationId"`
	Channel        string `json:"channel"`
	Language       string `json:"language,omitempty"`
	Subject        string `json:"subject,omitempty"`
	URL            string `json:"url,omitempty"`
	Comment        string `json:"comment,omitempty"`
	RequestID      string `json:"requestId,omitempty"`
	// ClientTimestamp is the timestamp the client sent, kept as given.
	ClientTimestamp string `json:"clientTimestamp,omitempty"`
	// Timestamp is when Parley started the conversation.
	Timestamp string   `json:"timestamp"`
	Customer  Customer `json:"customer"`
	// Fields are the init request's fields Parley does not know, in the
	// order of their names (schema version 3).
	Fields []Field `json:"fields,omitempty"`
}

// Field is one init request field that Parley does not know, kept as given.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// The most a conversation keeps of fields Parley does not know.
const (
	MaxFields         = 20
	MaxFieldBytes     = 1000 // of one field's value
	MaxFieldNameBytes = 200
)

// EventType implements Event.
func (ConversationStarted) EventType() string { return EventConversationStarted }

// Customer is the customer of a conversation. Personal data lives only in
// Personal, so that it can be encrypted per customer and crypto-erased.
type Customer struct {
	ParticipantID string `json:"participantId"`
	// CustomerID is the blind index of the customer's identity (schema
	// version 4): a keyed hash of the channel and Identity, set by the
	// store that encrypts personal data, and the id of their data key.
	CustomerID string       `json:"customerId,omitempty"`
	Personal   PersonalData `json:"personal"`
}

// PersonalData is everything that identifies a customer as a person.
type PersonalData struct {
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	RefID     string `json:"refId,omitempty"`
}

// DisplayName is the name the customer is shown by.
func (p PersonalData) DisplayName() string {
	switch {
	case p.FirstName != "" && p.LastName != "":
		return p.FirstName + " " + p.LastName
	case p.FirstName != "":
		return p.FirstName
	case p.LastName != "":
		return p.LastName
	}
	return "Customer"
}

// EncodeEvent turns an event into the data proposed to the store, with
// encoding/json. eventschemas/storedjson.EncodeEvent writes the same bytes
// faster for messages.
func EncodeEvent(id string, e Event, meta Metadata) (EventData, error) {
	if m, ok := e.(Message); ok {
		m.Sequence = nil // derived from the stream, never stored
		e = m
	}
	data, err := json.Marshal(e)
	if err != nil {
		return EventData{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	meta.SchemaVersion = SchemaVersions[e.EventType()]
	return EventData{ID: id, Type: e.EventType(), Data: data, Metadata: meta}, nil
}

// DecodeEvent turns a stored conversation event (already upcast to the
// current schema version) back into an Event. Unknown types decode to nil
// with no error, so that old code can read streams that newer code wrote.
// It uses encoding/json; eventschemas/storedjson.DecodeEvent gives the same
// events faster for messages.
func DecodeEvent(rec RecordedEvent) (Event, error) {
	// Data of another schema version has another shape: decoding it here
	// would silently leave fields empty. Reads through the checked store
	// are upcast first; version 0 means unknown (events built in memory).
	if v, ok := SchemaVersions[rec.Type]; ok && rec.Metadata.SchemaVersion != 0 && rec.Metadata.SchemaVersion != v {
		return nil, fmt.Errorf("decode %s %s: schema version %d, this build reads %d (read it through the checked store, which upcasts)", rec.Type, rec.ID, rec.Metadata.SchemaVersion, v)
	}
	switch rec.Type {
	case EventConversationStarted:
		return decodeAs[ConversationStarted](rec)
	case EventChatMessage, EventActivityMessage:
		var m Message
		if err := json.Unmarshal(rec.Data, &m); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", rec.Type, rec.ID, err)
		}
		m.Type = rec.Type
		return m.WithSequence(rec.Revision), nil
	case EventConnectorRegistered:
		return decodeAs[ConnectorRegistered](rec)
	case EventMessageDelivered:
		return decodeAs[MessageDelivered](rec)
	case EventTranscriptEmailRequested:
		return decodeAs[TranscriptEmailRequested](rec)
	case EventTranscriptEmailSent:
		return decodeAs[TranscriptEmailSent](rec)
	case EventTranscriptEmailFailed:
		return decodeAs[TranscriptEmailFailed](rec)
	case EventLostInRepair:
		return decodeAs[LostInRepair](rec)
	case EventClaimed:
		return decodeAs[Claimed](rec)
	case EventPersonalDataErased:
		return decodeAs[PersonalDataErased](rec)
	}
	return nil, nil
}

// decodeAs decodes a stored event's data as an E.
func decodeAs[E Event](rec RecordedEvent) (Event, error) {
	var e E
	if err := json.Unmarshal(rec.Data, &e); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", rec.Type, rec.ID, err)
	}
	return e, nil
}
