package e2e

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// runMigrate runs parley migrate and returns its output and exit error.
func runMigrate(t *testing.T, from, to string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "migrate", "--from", from, "--to", to).CombinedOutput()
	return string(out), err
}

func mustMigrate(t *testing.T, from, to string) string {
	t.Helper()
	out, err := runMigrate(t, from, to)
	if err != nil || !strings.Contains(out, "verified") {
		t.Fatalf("parley migrate --from %s --to %s: %v\n%s", from, to, err, out)
	}
	t.Logf("migrate --from %s --to %s:\n%s", from, to, out)
	return out
}

// chatHistory fills s with a few conversations, the way clients do: a web
// chat that ends, one still going, and one on a connector's channel with a
// delivery record. It returns their ids.
func chatHistory(t *testing.T, s *server) []string {
	t.Helper()
	var convs []string
	for i, end := range []bool{true, false} {
		chat := startChat(t, s, map[string]any{"firstName": "Ada", "refId": "customer-" + string(rune('a'+i)), "channel": "web"})
		customer := join(t, dial(t, s, "customer"), chat.ConversationID, chat.Participant.ID, "Ada", "customer", chat.Token)
		agent := join(t, dialAs(t, s, "agent", agentKey), chat.ConversationID, "agent-1", "Grace", "agent", "")
		customer.say(t, "Hello, I need help", nil)
		agent.say(t, "Of course", nil)
		agent.say(t, "VIP", map[string]any{"tag": "whisper"})
		if end {
			agent.c.mustCall("endConversation", map[string]any{"conversationId": chat.ConversationID})
		}
		convs = append(convs, chat.ConversationID)
	}
	sms := register(t, s, "sms", smsConnectorKey)
	in := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550001", "text": "Hi"}).Data)
	agent := join(t, dialAs(t, s, "agent", agentKey), in.ConversationID, "agent-1", "Grace", "agent", "")
	agent.say(t, "Hello by SMS", nil)
	receiveChat(t, sms)
	return append(convs, in.ConversationID)
}

// TestMigrateRoundTrip copies an embedded store filled by a real server to
// EventStoreDB and from there into a fresh embedded store, twice: the
// streams come back identical, and a node on the EventStoreDB copy serves
// the same history, recorded times included.
func TestMigrateRoundTrip(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	convs := chatHistory(t, s)
	db := startESDB(t)

	// The running server holds its data directory: migrating from it is
	// refused with a clear message.
	out, err := runMigrate(t, dataDir, db.url)
	if err == nil || !strings.Contains(out, "in use") || !strings.Contains(out, "stop it") {
		t.Fatalf("migrating from a running server's data directory: %v\n%s", err, out)
	}
	s.stop()

	back := t.TempDir()
	for run := range 2 {
		// The first run copies everything; the second finds it all there.
		want := regexp.MustCompile(`: [1-9]\d* copied, 0 there already`)
		if run == 1 {
			want = regexp.MustCompile(`: 0 copied, [1-9]\d* there already`)
		}
		for _, out := range []string{mustMigrate(t, dataDir, db.url), mustMigrate(t, db.url, "embedded:"+back)} {
			if !want.MatchString(out) {
				t.Fatalf("run %d reports no %s:\n%s", run+1, want, out)
			}
		}
	}
	orig, copied := readDisk(t, dataDir), readDisk(t, back)
	if len(orig) == 0 || len(copied) != len(orig) {
		t.Fatalf("the copy holds %d events, the original %d", len(copied), len(orig))
	}
	for i, o := range orig {
		c := copied[i]
		if c.ID != o.ID || c.Stream != o.Stream || c.Revision != o.Revision || c.Position != o.Position || c.Type != o.Type ||
			!bytes.Equal(c.Data, o.Data) || c.Metadata != o.Metadata || !c.Recorded.Equal(o.Recorded) {
			t.Fatalf("event %d differs after the round trip:\n got %+v\nwant %+v", i, c, o)
		}
	}

	// The copies keep the hash chain (ADR 40): it covers nothing a store
	// or the migration changes.
	for _, store := range []string{db.url, "embedded:" + back} {
		if out, err := runAudit(t, "--store", store); err != nil || !strings.Contains(out, "every chain holds") || !strings.Contains(out, " 0 events in 0 streams unchained") {
			t.Fatalf("audit verify --store %s after the migration: %v\n%s", store, err, out)
		}
	}

	// The transcripts of the copy can be rebuilt from EventStoreDB, which
	// reads its $all after each page's last event (ADR 18): one of the
	// three conversations ended.
	rebuilt := t.TempDir()
	raw, err := exec.Command(binary, "transcripts", "rebuild", "--store", db.url, "--data-dir", rebuilt).CombinedOutput()
	if err != nil || !strings.Contains(string(raw), "rebuilt 1 transcripts") {
		t.Fatalf("transcripts rebuild on EventStoreDB: %v\n%s", err, raw)
	}

	// Nodes on the original and on the EventStoreDB copy serve the same
	// histories (the server's shutdown added participantLeft events, hence
	// a restart rather than what it served before).
	s, node := startServer(t, dataDir), startServer(t, t.TempDir(), "--store", db.url)
	for _, conv := range convs {
		if got, want := withoutPositions(t, node, conv), withoutPositions(t, s, conv); got != want {
			t.Fatalf("history of %s on the EventStoreDB copy:\n got %s\nwant %s", conv, got, want)
		}
		// The chain holds on both, over the same events and to the same head.
		if got, want := verifyOn(t, node, conv), verifyOn(t, s, conv); !got.Valid || got != want {
			t.Fatalf("verify of %s on the EventStoreDB copy = %+v, on the original %+v", conv, got, want)
		}
	}
}

// withoutPositions is a conversation's history as JSON with the positions
// left out: they are the store's own numbering.
func withoutPositions(t *testing.T, s *server, conv string) string {
	t.Helper()
	events, _ := history(t, s, conv)
	for i := range events {
		events[i].Position = 0
	}
	return mustJSON(t, events)
}

// readDisk reads every event of the embedded store in dir.
func readDisk(t *testing.T, dir string) []domain.RecordedEvent {
	t.Helper()
	st, err := diskstore.Open(dir, diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer st.Close()
	evs, err := st.ReadAll(t.Context(), 0, 1<<20)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return evs
}
