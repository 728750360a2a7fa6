package domain

import (
	"context"
	"errors"
)

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

// Statuses of a transcript email request.
const (
	EmailPending = "pending"
	EmailSent    = "sent"
	EmailFailed  = "failed"
)

// TranscriptEmail is the state of one request, folded from its events.
type TranscriptEmail struct {
	RequestID      string `json:"requestId"`
	ConversationID string `json:"conversationId"`
	RequestedAt    string `json:"requestedAt"`
	Status         string `json:"status"`
	// Attempts counts the attempts made so far.
	Attempts      int    `json:"attempts"`
	LastError     string `json:"lastError,omitempty"`
	LastAttemptAt string `json:"lastAttemptAt,omitempty"`
	SentAt        string `json:"sentAt,omitempty"`
}

// TranscriptEmails is the outbox: every request of one or more transcript
// email streams, in the order they were requested.
type TranscriptEmails struct {
	byID  map[string]*TranscriptEmail
	order []string
}

// NewTranscriptEmails returns an empty outbox.
func NewTranscriptEmails() *TranscriptEmails {
	return &TranscriptEmails{byID: map[string]*TranscriptEmail{}}
}

// Apply folds one outbox event in and returns the request it changed, or
// nil. It never fails; outcomes of unknown requests and unknown events are
// ignored.
func (o *TranscriptEmails) Apply(e Event) *TranscriptEmail {
	switch e := e.(type) {
	case TranscriptEmailRequested:
		if r, ok := o.byID[e.RequestID]; ok {
			return r
		}
		r := &TranscriptEmail{RequestID: e.RequestID, ConversationID: e.ConversationID, RequestedAt: e.RequestedAt, Status: EmailPending}
		o.byID[e.RequestID] = r
		o.order = append(o.order, e.RequestID)
		return r
	case TranscriptEmailSent:
		if r := o.byID[e.RequestID]; r != nil {
			r.Status, r.Attempts, r.SentAt, r.LastAttemptAt = EmailSent, max(r.Attempts, e.Attempt), e.SentAt, e.SentAt
			return r
		}
	case TranscriptEmailFailed:
		if r := o.byID[e.RequestID]; r != nil && r.Status == EmailPending {
			r.Attempts, r.LastError, r.LastAttemptAt = max(r.Attempts, e.Attempt), e.Error, e.FailedAt
			if e.Final {
				r.Status = EmailFailed
			}
			return r
		}
	}
	return nil
}

// Remove forgets request id, so that a long-running worker holds only the
// requests it still has to send.
func (o *TranscriptEmails) Remove(id string) {
	if _, ok := o.byID[id]; !ok {
		return
	}
	delete(o.byID, id)
	for i, rid := range o.order {
		if rid == id {
			o.order = append(o.order[:i], o.order[i+1:]...)
			break
		}
	}
}

// Get returns a copy of request id, and whether it exists.
func (o *TranscriptEmails) Get(id string) (TranscriptEmail, bool) {
	r, ok := o.byID[id]
	if !ok {
		return TranscriptEmail{}, false
	}
	return *r, true
}

// List returns a copy of every request, in the order they were made.
func (o *TranscriptEmails) List() []TranscriptEmail {
	out := make([]TranscriptEmail, 0, len(o.order))
	for _, id := range o.order {
		out = append(out, *o.byID[id])
	}
	return out
}

// Mail is one email message with attachments.
type Mail struct {
	From    string
	To      string
	Subject string
	// Text is the plain-text body.
	Text string
	// MessageID is the Message-ID header without angle brackets; a retry
	// reuses it so that mail clients can drop a duplicate.
	MessageID   string
	Attachments []MailAttachment
}

// MailAttachment is a file attached to a Mail.
type MailAttachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mailer sends mail; the smtp adapter implements it.
type Mailer interface {
	// Send delivers m to the mail server. An error wrapping ErrMailRejected
	// means the server refused the mail for good (a bad address, say):
	// retrying will not help. Any other error may be temporary.
	Send(ctx context.Context, m Mail) error
}

// ErrMailRejected marks a permanent refusal by the mail server.
var ErrMailRejected = errors.New("mail rejected")
