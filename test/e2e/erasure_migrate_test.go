package e2e

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// TestMigrateSealsPlainHistory writes a conversation as a build before
// encryption did (plain values, the older schema versions), migrates the
// store into a new one, and finds the customer's values sealed there, read
// back in clear through the API, and erasable.
func TestMigrateSealsPlainHistory(t *testing.T) {
	old, conv := t.TempDir(), "8d0b7c52-3f4e-4d7a-9c1b-2a6e5f4d3c21"
	writePlainHistory(t, old, conv)
	fresh := t.TempDir()
	if out, err := exec.Command(binary, "migrate", "--from", old, "--to", "embedded:"+fresh).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	secrets := []string{"Ottilie", "ottilie@example.org", "The old line."}
	for _, rec := range readDisk(t, fresh) {
		for _, v := range secrets {
			if bytes.Contains(rec.Data, []byte(v)) {
				t.Errorf("%s %s holds %q in clear after the migration", rec.Type, rec.ID, v)
			}
		}
	}
	s := startServer(t, fresh)
	code, _, body := s.get(t, supervisorKey, "/api/conversations/"+conv+"/events")
	for _, v := range secrets {
		if code != http.StatusOK || !bytes.Contains(body, []byte(v)) {
			t.Fatalf("the events API lacks %q after the migration: %d %s", v, code, body)
		}
	}
	p := &person{chat: initAnswer{ConversationID: conv}}
	if code := s.do(t, "DELETE", "/api/customers/"+customerIDOf(t, s, p)+"/personal-data", nil, nil); code != http.StatusNoContent {
		t.Fatalf("erasing the migrated customer: status %d", code)
	}
	_, _, body = s.get(t, supervisorKey, "/api/conversations/"+conv+"/events")
	for _, v := range secrets {
		if bytes.Contains(body, []byte(v)) {
			t.Errorf("%q still readable after erasing the migrated customer", v)
		}
	}
}

// writePlainHistory appends a started conversation with a customer's line
// to an embedded store in dir, as schema versions 3 and 1 stored it.
func writePlainHistory(t *testing.T, dir, conv string) {
	t.Helper()
	st, err := diskstore.Open(dir, diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	env := domain.Env{Now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Limits: domain.DefaultLimits,
		NewID: func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }}
	c := domain.NewConversation(conv)
	customer := domain.Participant{ID: "c-ottilie"}
	for _, cmd := range []domain.Command{
		domain.StartConversation{ConversationID: conv, CustomerID: customer.ID, Channel: "web",
			Personal: domain.PersonalData{FirstName: "Ottilie", Email: "ottilie@example.org"}},
		domain.JoinConversation{Participant: customer},
		domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: customer, Text: "The old line."}},
	} {
		events, err := domain.Decide(c, cmd, env)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			id := env.NewID()
			if m, ok := e.(domain.Message); ok {
				id = m.ID
			}
			d, err := domain.EncodeEvent(id, e, domain.Metadata{})
			if err != nil {
				t.Fatal(err)
			}
			d.Metadata.SchemaVersion = map[string]int{domain.EventConversationStarted: 3}[d.Type]
			if d.Metadata.SchemaVersion == 0 {
				d.Metadata.SchemaVersion = 1
			}
			if _, err := st.Append(t.Context(), domain.StreamName(conv), domain.Any(), []domain.EventData{d}); err != nil {
				t.Fatal(err)
			}
			c.Apply(domain.Revision(c.Version+1), e)
		}
	}
}
