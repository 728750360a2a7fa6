package domain

// Event types of the transcript email outbox. They live on their own streams,
// transcript-email-<conversationId>, so that a conversation's stream stays
// the chat and nothing else, and so that the outbox can be folded without
// reading any chat.
const (
	EventTranscriptEmailRequested = "TranscriptEmailRequested"
	EventTranscriptEmailSent      = "TranscriptEmailSent"
	EventTranscriptEmailFailed    = "TranscriptEmailFailed"
)

// TranscriptEmailStreamPrefix is the prefix of every transcript email stream.
const TranscriptEmailStreamPrefix = "transcript-email-"

// TranscriptEmailStream returns the stream of the transcript email requests
// of one conversation.
func TranscriptEmailStream(conversationID string) string {
	return TranscriptEmailStreamPrefix + conversationID
}

// TranscriptEmailRequested records that the customer asked for the
// transcript by email. It holds no address: the address stays in the
// customer's personal data, read when the mail is sent.
type TranscriptEmailRequested struct {
	RequestID      string `json:"requestId"`
	ConversationID string `json:"conversationId"`
	RequestedAt    string `json:"requestedAt"`
}

// TranscriptEmailSent records that the mail server accepted the mail.
type TranscriptEmailSent struct {
	RequestID      string `json:"requestId"`
	ConversationID string `json:"conversationId"`
	Attempt        int    `json:"attempt"`
	SentAt         string `json:"sentAt"`
}

// TranscriptEmailFailed records a failed attempt. Final is set on the last
// attempt the worker makes, or when the server refused the mail for good:
// the request is then failed and no longer retried.
type TranscriptEmailFailed struct {
	RequestID      string `json:"requestId"`
	ConversationID string `json:"conversationId"`
	Attempt        int    `json:"attempt"`
	Error          string `json:"error"`
	Final          bool   `json:"final"`
	FailedAt       string `json:"failedAt"`
}

// EventType implements Event.
func (TranscriptEmailRequested) EventType() string { return EventTranscriptEmailRequested }

// EventType implements Event.
func (TranscriptEmailSent) EventType() string { return EventTranscriptEmailSent }

// EventType implements Event.
func (TranscriptEmailFailed) EventType() string { return EventTranscriptEmailFailed }
