package e2e

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// TestStoreVerifyReportsInvalidEvents: reads trust what Parley wrote (ADR
// 32), so an event that fails its schema (here written past the checks,
// straight into the embedded store) is for parley store verify to find:
// it names the event and exits with an error, and passes a valid store.
func TestStoreVerifyReportsInvalidEvents(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	chatHistory(t, s)
	s.stop()
	if out, err := runParley(t, "store", "verify", "--data-dir", dataDir); err != nil || !strings.Contains(out, ", 0 fail their schema") {
		t.Fatalf("parley store verify on a valid store: %v\n%s", err, out)
	}

	raw, err := diskstore.Open(dataDir, diskstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const badID = "00000000-0000-4000-8000-00000000bad1"
	bad := domain.EventData{ID: badID, Type: domain.EventChatMessage, Data: []byte(`{"id":"` + badID + `","type":"ChatMessage","text":"no sender"}`),
		Metadata: domain.Metadata{SchemaVersion: domain.SchemaVersions[domain.EventChatMessage]}}
	if _, err := raw.Append(t.Context(), "conversation-00000000-0000-4000-8000-0000000000c1", domain.Any(), []domain.EventData{bad}); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := runParley(t, "store", "verify", "--data-dir", dataDir)
	if err == nil || !strings.Contains(out, ", 1 fail their schema") || !strings.Contains(out, badID) {
		t.Fatalf("parley store verify with an invalid event: %v\n%s", err, out)
	}
}
