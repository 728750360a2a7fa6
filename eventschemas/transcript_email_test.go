package eventschemas_test

import (
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/transcriptmail"
)

// transcriptEmailEvents returns the outbox events of one request that failed
// once and was then sent, encoded as the worker encodes them.
func transcriptEmailEvents(tb testing.TB) []domain.EventData {
	tb.Helper()
	const requestID = "3d5e7f90-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
	at := domain.FormatTime(testNow)
	events := []domain.Event{
		domain.TranscriptEmailRequested{RequestID: requestID, ConversationID: convID, RequestedAt: at},
		domain.TranscriptEmailFailed{RequestID: requestID, ConversationID: convID, Attempt: 1, Error: "dial tcp: connection refused", FailedAt: at},
		domain.TranscriptEmailSent{RequestID: requestID, ConversationID: convID, Attempt: 2, SentAt: at},
	}
	ids := newIDs()
	out := make([]domain.EventData, len(events))
	for i, e := range events {
		d, err := domain.EncodeEvent(ids(), e, domain.Metadata{CorrelationID: "req-2"})
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = d
	}
	return out
}

func TestValidate_TranscriptEmail(t *testing.T) {
	byType := map[string][]byte{}
	for _, e := range transcriptEmailEvents(t) {
		byType[e.Type] = e.Data
	}
	const req, sent, failed = domain.EventTranscriptEmailRequested, domain.EventTranscriptEmailSent, domain.EventTranscriptEmailFailed
	tests := map[string]struct {
		eventType string
		change    func(m map[string]any)
		field     string
	}{
		"requested: requestId not a UUID": {req, func(m map[string]any) { m["requestId"] = "7" }, "requestId"},
		"requested: an email address":     {req, func(m map[string]any) { m["to"] = "a@example.com" }, "to"},
		"requested: no conversationId":    {req, func(m map[string]any) { delete(m, "conversationId") }, "conversationId"},
		"sent: attempt zero":              {sent, func(m map[string]any) { m["attempt"] = 0 }, "attempt"},
		"sent: sentAt not a date-time":    {sent, func(m map[string]any) { m["sentAt"] = "now" }, "sentAt"},
		"failed: final missing":           {failed, func(m map[string]any) { delete(m, "final") }, "final"},
		"failed: error too long":          {failed, func(m map[string]any) { m["error"] = string(make([]byte, 2001)) }, "error"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			data := mutate(t, byType[tt.eventType], tt.change)
			err := reg.Validate(tt.eventType, 1, data)
			if domain.ErrorCode(err) != domain.CodeSchema {
				t.Fatalf("got %v, want a %s error", err, domain.CodeSchema)
			}
			if got := err.(*domain.Error).Field; got != tt.field {
				t.Fatalf("field = %q, want %q (%v)", got, tt.field, err)
			}
		})
	}
}

func TestDecodeEvent_TranscriptEmail(t *testing.T) {
	outbox := transcriptmail.NewOutbox()
	for i, d := range transcriptEmailEvents(t) {
		e, err := domain.DecodeEvent(domain.RecordedEvent{ID: d.ID, Type: d.Type, Revision: uint64(i), Data: d.Data})
		if err != nil || e == nil {
			t.Fatalf("decode %s: %v, %v", d.Type, e, err)
		}
		outbox.Apply(e)
	}
	got := outbox.List()
	if len(got) != 1 || got[0].Status != transcriptmail.Sent || got[0].Attempts != 2 || got[0].LastError == "" {
		t.Fatalf("outbox = %+v, want one request sent on attempt 2 after an error", got)
	}
}
