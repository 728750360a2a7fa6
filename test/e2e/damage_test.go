package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runParley runs the parley binary with args to its end and returns its
// output and exit error.
func runParley(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	return string(out), err
}

// TestDamagedLogIsRefusedThenRepaired flips one bit in a message in the
// middle of the embedded store's log: parley serve must refuse to start and
// say what to do, parley store verify must report the damage, and after
// parley store repair the server starts with every other event as it was
// and a placeholder where the damaged message was.
func TestDamagedLogIsRefusedThenRepaired(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	convs := chatHistory(t, s)
	before := map[string][]auditEvent{}
	for _, c := range convs {
		before[c] = readAllEvents(t, s, c)
	}
	s.stop()

	log := filepath.Join(dataDir, "events.log")
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte("Of course")) // the agent's first answer in the first conversation
	if at < 0 || bytes.LastIndex(b, []byte("Hello by SMS")) < at {
		t.Fatalf("the message to damage is not in the middle of the log (at %d of %d)", at, len(b))
	}
	b[at] ^= 0x01
	if err := os.WriteFile(log, b, 0o640); err != nil {
		t.Fatal(err)
	}

	out, err := runParley(t, "serve", "--addr", freeAddr(t), "--data-dir", dataDir,
		"--auth-secret", testSecret, "--api-keys", testKeys)
	if err == nil {
		t.Fatalf("parley serve started on a damaged log:\n%s", out)
	}
	for _, want := range []string{log, "is damaged", "at offset", `stream "conversation-`, "intact records follow it",
		"Refusing to start", "parley store repair --data-dir " + dataDir} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, out)
		}
	}
	if out, err := runParley(t, "store", "verify", "--data-dir", dataDir); err == nil || !strings.Contains(out, "damaged span 1:") {
		t.Fatalf("parley store verify on a damaged log: %v\n%s", err, out)
	}
	if out, err := runParley(t, "store", "repair", "--data-dir", dataDir); err != nil || !strings.Contains(out, "Repaired: kept") {
		t.Fatalf("parley store repair: %v\n%s", err, out)
	} else {
		t.Logf("parley store repair:\n%s", out)
	}
	if out, err := runParley(t, "store", "verify", "--data-dir", dataDir); err != nil || !strings.Contains(out, "no damage found") {
		t.Fatalf("parley store verify after the repair: %v\n%s", err, out)
	}

	// The transcript projection, rebuilt from the repaired history, says
	// where the message was lost.
	if out, err := runParley(t, "transcripts", "rebuild", "--data-dir", dataDir); err != nil {
		t.Fatalf("parley transcripts rebuild: %v\n%s", err, out)
	}
	transcripts := projectionFiles(t, filepath.Join(dataDir, "transcripts"))
	shown := 0
	for name, raw := range transcripts {
		if bytes.Contains(raw, []byte(`"lostInRepair"`)) {
			shown++
			if bytes.Contains(raw, []byte("Of course")) {
				t.Errorf("transcript %s shows the lost message and a placeholder for it", name)
			}
		}
	}
	if shown != 1 {
		t.Errorf("%d of %d transcripts show a message lost in repair, want 1", shown, len(transcripts))
	}

	s2 := startServer(t, dataDir)
	if code := s2.do(t, "GET", "/readyz", nil, nil); code != http.StatusOK {
		t.Fatalf("/readyz after the repair: %d", code)
	}
	lost := 0
	for _, c := range convs {
		after := readAllEvents(t, s2, c)
		// Leaving sockets add events at shutdown, after before was read.
		if len(after) < len(before[c]) {
			t.Fatalf("conversation %s has %d events after the repair, had %d", c, len(after), len(before[c]))
		}
		for i, e := range after[:len(before[c])] {
			was := before[c][i]
			switch {
			case e.Type == "EventLostInRepair" && e.Sequence == was.Sequence && bytes.Contains(was.Data, []byte("Of course")):
				lost++
			case e.ID != was.ID || e.Type != was.Type || !bytes.Equal(e.Data, was.Data):
				t.Errorf("conversation %s event %d changed in the repair: %s %s, was %s %s", c, i, e.Type, e.Data, was.Type, was.Data)
			}
		}
	}
	if lost != 1 {
		t.Errorf("%d placeholders where the damaged message was, want 1", lost)
	}
}
