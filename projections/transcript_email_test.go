package projections_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/transcriptmail"
	"github.com/parley-chat/parley/projections"
)

// fakeMailer is a domain.Mailer whose answers the test decides.
type fakeMailer struct {
	mu     sync.Mutex
	SendFn func(n int, m domain.Mail) error
	sent   []domain.Mail
	calls  int
}

func (f *fakeMailer) Send(_ context.Context, m domain.Mail) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err := f.SendFn(f.calls, m); err != nil {
		return err
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeMailer) count() (calls, sent int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, len(f.sent)
}

func newMailer(t *testing.T, store domain.EventStore, mailer domain.Mailer) *projections.TranscriptMailer {
	t.Helper()
	transcripts := openTranscripts(t, t.TempDir(), store)
	m, err := projections.NewTranscriptMailer(projections.TranscriptMailerConfig{
		Store: store, Transcripts: transcripts, Mailer: mailer, From: "Parley <parley@example.com>",
		RenderPDF: func(*projections.Transcript) ([]byte, error) { return []byte("%PDF-1.3"), nil },
		Now:       time.Now, NewID: uuid.NewString, MaxAttempts: 4, Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func runMailer(t *testing.T, m *projections.TranscriptMailer) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	return func() { cancel(); <-done }
}

func endedChat(t *testing.T, store domain.EventStore, email string) string {
	c := startChat(t, newService(t, store), email)
	c.say(c.cus, "Merci !")
	c.end()
	return c.id
}

func emails(t *testing.T, m *projections.TranscriptMailer, id string) []transcriptmail.Request {
	t.Helper()
	got, err := m.Emails(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTranscriptMailer_RetriesUntilSent(t *testing.T) {
	store := openStore(t)
	id := endedChat(t, store, "Zoé Dupré <zoe@example.com>")
	fake := &fakeMailer{SendFn: func(n int, _ domain.Mail) error {
		if n < 3 {
			return errors.New("dial tcp: connection refused")
		}
		return nil
	}}
	m := newMailer(t, store, fake)
	defer runMailer(t, m)()
	if _, err := m.Request(t.Context(), id, domain.Metadata{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the mail sent", func() bool { _, sent := fake.count(); return sent == 1 })
	eventually(t, "the outcome stored", func() bool { e := emails(t, m, id); return len(e) == 1 && e[0].Status == transcriptmail.Sent })
	got := emails(t, m, id)[0]
	if got.Attempts != 3 || got.LastError != "" && got.SentAt == "" {
		t.Fatalf("request = %+v, want sent on attempt 3", got)
	}
	mail := fake.sent[0]
	if mail.To != "zoe@example.com" || len(mail.Attachments) != 1 || mail.Attachments[0].ContentType != "application/pdf" || mail.MessageID != got.RequestID+"@parley" {
		t.Fatalf("mail = %+v", mail)
	}
}

func TestTranscriptMailer_GivesUpAndStoresTheFailure(t *testing.T) {
	store := openStore(t)
	id := endedChat(t, store, "zoe@example.com")
	rejected := endedChat(t, store, "nobody@example.com")
	fake := &fakeMailer{SendFn: func(_ int, m domain.Mail) error {
		if m.To == "nobody@example.com" {
			return errors.Join(domain.ErrMailRejected, errors.New("550 <NOBODY@example.com>: no such mailbox"))
		}
		return errors.New("451 try again later")
	}}
	m := newMailer(t, store, fake)
	defer runMailer(t, m)()
	for _, conv := range []string{id, rejected} {
		if _, err := m.Request(t.Context(), conv, domain.Metadata{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both requests failed", func() bool {
		a, b := emails(t, m, id), emails(t, m, rejected)
		return len(a) == 1 && a[0].Status == transcriptmail.Failed && len(b) == 1 && b[0].Status == transcriptmail.Failed
	})
	if got := emails(t, m, id)[0]; got.Attempts != 4 || got.LastError != "451 try again later" {
		t.Errorf("temporary failures: %+v, want 4 attempts", got)
	}
	if got := emails(t, m, rejected)[0]; got.Attempts != 1 {
		t.Errorf("a permanent refusal is retried: %+v", got)
	} else if got.LastError != "mail rejected\n550 <<recipient>>: no such mailbox" {
		t.Errorf("the stored error is %q: it must not quote the address", got.LastError)
	}
	time.Sleep(100 * time.Millisecond)
	if calls, _ := fake.count(); calls != 5 {
		t.Errorf("%d attempts in all, want 4 + 1", calls)
	}
}

// A request stored while no worker runs (or before a crash) is sent when a
// worker starts: the outbox is the event streams.
func TestTranscriptMailer_RecoversPendingRequests(t *testing.T) {
	store := openStore(t)
	id := endedChat(t, store, "zoe@example.com")
	stored := newMailer(t, store, nil)
	first, err := stored.Request(t.Context(), id, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	// Asking again while the first request is pending stores nothing.
	if again, err := stored.Request(t.Context(), id, domain.Metadata{}); err != nil || again.RequestID != first.RequestID {
		t.Fatalf("second request = %+v, %v; want the pending %s", again, err, first.RequestID)
	}
	if got := emails(t, stored, id); len(got) != 1 {
		t.Fatalf("%d requests stored, want 1", len(got))
	}
	fake := &fakeMailer{SendFn: func(int, domain.Mail) error { return nil }}
	m := newMailer(t, store, fake)
	defer runMailer(t, m)()
	eventually(t, "the stored request sent", func() bool { _, sent := fake.count(); return sent == 1 })
}

func TestTranscriptMailer_RequestErrors(t *testing.T) {
	store := openStore(t)
	m := newMailer(t, store, nil)
	noEmail := endedChat(t, store, "")
	ongoing := startChat(t, newService(t, store), "zoe@example.com")
	for conv, want := range map[string]domain.Code{noEmail: domain.CodeNoEmail, ongoing.id: domain.CodeOngoing, "nope": domain.CodeNotFound} {
		if _, err := m.Request(t.Context(), conv, domain.Metadata{}); domain.ErrorCode(err) != want {
			t.Errorf("Request(%s) = %v, want %s", conv, err, want)
		}
	}
}
