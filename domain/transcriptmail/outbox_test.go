package transcriptmail_test

import (
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/transcriptmail"
)

func TestOutboxFold(t *testing.T) {
	requested := domain.TranscriptEmailRequested{RequestID: "r1", ConversationID: "c1", RequestedAt: "t0"}
	failed := func(n int, final bool) domain.Event {
		return domain.TranscriptEmailFailed{RequestID: "r1", ConversationID: "c1", Attempt: n, Error: "421 busy", Final: final, FailedAt: "t1"}
	}
	sent := domain.TranscriptEmailSent{RequestID: "r1", ConversationID: "c1", Attempt: 2, SentAt: "t2"}
	tests := map[string]struct {
		given        []domain.Event
		wantStatus   string
		wantAttempts int
		wantNone     bool
	}{
		"requested":                {given: []domain.Event{requested}, wantStatus: transcriptmail.Pending},
		"requested twice is one":   {given: []domain.Event{requested, requested}, wantStatus: transcriptmail.Pending},
		"a failed attempt":         {given: []domain.Event{requested, failed(1, false)}, wantStatus: transcriptmail.Pending, wantAttempts: 1},
		"the final failure":        {given: []domain.Event{requested, failed(1, true)}, wantStatus: transcriptmail.Failed, wantAttempts: 1},
		"sent after a failure":     {given: []domain.Event{requested, failed(1, false), sent}, wantStatus: transcriptmail.Sent, wantAttempts: 2},
		"a failure after sent":     {given: []domain.Event{requested, sent, failed(3, true)}, wantStatus: transcriptmail.Sent, wantAttempts: 2},
		"an outcome of no request": {given: []domain.Event{sent, failed(1, true)}, wantNone: true},
		"an event of another kind": {given: []domain.Event{domain.ConversationStarted{ConversationID: "c1"}}, wantNone: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o := transcriptmail.NewOutbox()
			for _, e := range tt.given {
				o.Apply(e)
			}
			r, ok := o.Get("r1")
			if tt.wantNone {
				if ok || len(o.List()) != 0 {
					t.Fatalf("outbox holds %+v, want nothing", o.List())
				}
				return
			}
			if !ok || r.Status != tt.wantStatus || r.Attempts != tt.wantAttempts || len(o.List()) != 1 {
				t.Fatalf("request %+v (found %v, %d in all), want status %s after %d attempts", r, ok, len(o.List()), tt.wantStatus, tt.wantAttempts)
			}
			o.Remove("r1")
			if _, ok := o.Get("r1"); ok || len(o.List()) != 0 {
				t.Fatal("a removed request is still held")
			}
		})
	}
}
