package domain

import (
	"context"
	"errors"
)

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
