package domain

import "time"

// Env is what deciding needs from outside: the time and fresh ids. The
// service fills it from its Clock and IDGenerator, so deciding stays pure.
type Env struct {
	Now    time.Time
	NewID  func() string
	Limits Limits
	// Greeting returns the greetings text for a participant called name in
	// a conversation in language (a BCP 47 tag, or ""); nil greets in
	// English.
	Greeting func(language, name string) string
}

// Limits bound what a message may hold.
type Limits struct {
	MaxTextLength   int // in characters (runes)
	MaxAttachments  int
	MaxParticipants int // distinct participants of one conversation
}

// The most a message may hold whatever the configuration: the event schemas
// refuse more.
const (
	MaxTextLengthCap  = 100000
	MaxAttachmentsCap = 100
)

// DefaultLimits are the limits used when none are configured.
var DefaultLimits = Limits{MaxTextLength: 20000, MaxAttachments: 10, MaxParticipants: 50}

// Command is a request to change a conversation. Deciding it against the
// conversation's state yields the events to store, or a *Error.
type Command interface {
	decide(c *Conversation, env Env) ([]Event, error)
}

// Decide returns the events that cmd produces in state c, or why it is refused.
// It does not change c.
func Decide(c *Conversation, cmd Command, env Env) ([]Event, error) {
	return cmd.decide(c, env)
}

// StartConversation opens a new conversation for a customer.
type StartConversation struct {
	ConversationID  string
	CustomerID      string // the customer's participant id
	Channel         string
	Language        string
	Subject         string
	URL             string
	Comment         string
	RequestID       string
	ClientTimestamp string
	Personal        PersonalData
	// Fields are the init request's fields Parley does not know, which the
	// document lets developers define: kept with the conversation and
	// shown to staff.
	Fields []Field
}

// JoinConversation adds a socket of a participant to the conversation.
type JoinConversation struct {
	Participant Participant // Role empty means agent, or customer for the customer's id
}

// PostMessage stores a ChatMessage or an ActivityMessage. The edge sets
// Message.From to the participant the sender joined as.
type PostMessage struct {
	Message Message
}

// LeaveConversation removes a socket of a participant.
type LeaveConversation struct {
	Participant Participant
}

// EndConversation ends the conversation for everyone.
type EndConversation struct {
	By Participant
}

// DuplicateMessageError tells that a message with the same id is stored
// already, at Sequence. The service answers such a resend with the stored
// message instead of storing it twice.
type DuplicateMessageError struct {
	ID       string
	Sequence Revision
}

// Error names the message and the sequence it is stored at.
func (e *DuplicateMessageError) Error() string {
	return "message " + e.ID + " is stored already at sequence " + formatUint(e.Sequence)
}
