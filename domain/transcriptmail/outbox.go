// Package transcriptmail is the outbox of transcript emails: the state of
// every request a customer made for a conversation's transcript by email,
// folded from the events of the transcript-email-<conversationId> streams,
// which the mailing worker reads to know what is left to send.
package transcriptmail

import "github.com/parley-chat/parley/domain"

// Statuses of a transcript email request.
const (
	Pending = "pending"
	Sent    = "sent"
	Failed  = "failed"
)

// Request is the state of one request, folded from its events.
type Request struct {
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

// Outbox is every request of one or more transcript email streams, in
// the order they were requested.
type Outbox struct {
	byID  map[string]*Request
	order []string
}

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox {
	return &Outbox{byID: map[string]*Request{}}
}

// Apply folds one outbox event in and returns the request it changed, or
// nil. It never fails; outcomes of unknown requests and unknown events are
// ignored.
func (o *Outbox) Apply(e domain.Event) *Request {
	switch e := e.(type) {
	case domain.TranscriptEmailRequested:
		if r, ok := o.byID[e.RequestID]; ok {
			return r
		}
		r := &Request{RequestID: e.RequestID, ConversationID: e.ConversationID, RequestedAt: e.RequestedAt, Status: Pending}
		o.byID[e.RequestID] = r
		o.order = append(o.order, e.RequestID)
		return r
	case domain.TranscriptEmailSent:
		if r := o.byID[e.RequestID]; r != nil {
			r.Status, r.Attempts, r.SentAt, r.LastAttemptAt = Sent, max(r.Attempts, e.Attempt), e.SentAt, e.SentAt
			return r
		}
	case domain.TranscriptEmailFailed:
		if r := o.byID[e.RequestID]; r != nil && r.Status == Pending {
			r.Attempts, r.LastError, r.LastAttemptAt = max(r.Attempts, e.Attempt), e.Error, e.FailedAt
			if e.Final {
				r.Status = Failed
			}
			return r
		}
	}
	return nil
}

// Remove forgets request id, so that a long-running worker holds only the
// requests it still has to send.
func (o *Outbox) Remove(id string) {
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
func (o *Outbox) Get(id string) (Request, bool) {
	r, ok := o.byID[id]
	if !ok {
		return Request{}, false
	}
	return *r, true
}

// List returns a copy of every request, in the order they were made.
func (o *Outbox) List() []Request {
	out := make([]Request, 0, len(o.order))
	for _, id := range o.order {
		out = append(out, *o.byID[id])
	}
	return out
}
