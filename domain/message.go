package domain

import (
	"encoding/json"
	"time"
)

// Message types: the document's two kinds of message.
const (
	TypeChatMessage     = "ChatMessage"
	TypeActivityMessage = "ActivityMessage"
)

// Activity types of ActivityMessage.
const (
	ActivityGreetings          = "greetings"
	ActivityTyping             = "typing"
	ActivityParticipantAdded   = "participantAdded"
	ActivityParticipantRemoved = "participantRemoved"
	ActivityParticipantJoined  = "participantJoined"
	ActivityParticipantLeft    = "participantLeft"
	ActivityEndOfConversation  = "endOfConversation"
	ActivityHandOff            = "handOff"
	ActivityNoAgentAvailable   = "noAgentAvailable"
)

// TagWhisper marks a message that staff exchange and the customer never sees.
const TagWhisper = "whisper"

// Role is what a participant is in a conversation.
type Role string

// The roles of participants.
const (
	RoleCustomer   Role = "customer"
	RoleAgent      Role = "agent"
	RoleBot        Role = "bot"
	RoleSupervisor Role = "supervisor"
	RoleSystem     Role = "system"
)

// IsStaff reports whether the role belongs to the contact centre's side.
func (r Role) IsStaff() bool {
	return r == RoleAgent || r == RoleBot || r == RoleSupervisor || r == RoleSystem
}

// SystemParticipant is the sender of messages Parley itself writes.
var SystemParticipant = Participant{ID: "system", Name: "Parley", Role: RoleSystem}

// Participant is a bot or user account in a conversation.
type Participant struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Role is filled in by the server on stored messages.
	Role Role `json:"role,omitempty"`
}

// Attachment is a media file or link attached to a message.
type Attachment struct {
	Type         string `json:"type,omitempty"`
	Name         string `json:"name,omitempty"`
	ContentURL   string `json:"contentUrl,omitempty"`
	ThumbnailURL string `json:"thumbnailUrl,omitempty"`
}

// Message is a ChatMessage or an ActivityMessage: the data of the event that
// stores it, and what clients send and receive.
type Message struct {
	ID             string          `json:"id"`
	ConversationID string          `json:"conversationId"`
	Type           string          `json:"type"`
	From           Participant     `json:"from"`
	To             []Participant   `json:"to,omitempty"`
	Text           string          `json:"text,omitempty"`
	Tag            string          `json:"tag,omitempty"`
	RefID          string          `json:"refId,omitempty"`
	Attachments    []Attachment    `json:"attachments,omitempty"`
	ActivityType   string          `json:"activityType,omitempty"`
	Info           json.RawMessage `json:"info,omitempty"`
	// Timestamp is when Parley accepted the message (ISO 8601, UTC, ms).
	Timestamp string `json:"timestamp"`
	// Sequence is the message's revision in its conversation stream. It is
	// not part of the stored data: it is filled in wherever a stored message
	// is sent or served.
	Sequence *uint64 `json:"sequence,omitempty"`
}

// EventType is the message's event type: ChatMessage or ActivityMessage.
func (m Message) EventType() string { return m.Type }

// IsWhisper reports whether the customer must never see the message.
func (m Message) IsWhisper() bool { return m.Tag == TagWhisper }

// VisibleTo reports whether the participant with the given id and role may
// see the message: whispers are for staff, and a non-empty To restricts a
// message to its recipients (and its sender).
func (m Message) VisibleTo(id string, role Role) bool {
	if m.IsWhisper() && !role.IsStaff() {
		return false
	}
	if len(m.To) == 0 || m.From.ID == id {
		return true
	}
	for _, p := range m.To {
		if p.ID == id {
			return true
		}
	}
	return false
}

// WithSequence returns a copy of m that carries seq.
func (m Message) WithSequence(seq uint64) Message {
	m.Sequence = &seq
	return m
}

// TimeFormat is the layout of every timestamp Parley writes.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime renders t in UTC with millisecond precision.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
