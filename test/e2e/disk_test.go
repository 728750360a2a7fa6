package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/test/tmpfs"
)

// TestFullDisk runs Parley on a small tmpfs and fills it: below
// --min-free-space new conversations are refused while running ones go on;
// on a full disk a message is refused and not stored (not even after a
// restart), /readyz says so, and the participantLeft of a socket closed
// meanwhile is owed; once space is freed everything resumes by itself and
// the owed event is stored once.
func TestFullDisk(t *testing.T) {
	mnt := tmpfs.Mount(t, "48m")
	dataDir := filepath.Join(mnt, "data")
	args := append([]string{"--min-free-space", "16MiB"}, loadLimits...)
	s := startServer(t, dataDir, args...)

	chat := startChat(t, s, map[string]any{"firstName": "Ada", "channel": "web", "refId": "ada"})
	conv := chat.ConversationID
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": chat.Participant.ID, "name": "Ada", "token": chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": "agent-1", "name": "Grace", "role": "agent"})

	// Low on space: no new conversation, but the running one goes on.
	lowFiller := filepath.Join(mnt, "low-filler")
	writeFile(t, lowFiller, freeBytes(t, mnt)-8<<20)
	waitStatus(t, func() int { return initStatus(t, s, nil) }, http.StatusServiceUnavailable, "init below --min-free-space")
	var refused errorBody
	initStatus(t, s, &refused)
	if refused.Code != "store_unavailable" || !strings.Contains(refused.Message, "low disk space") {
		t.Fatalf("init below --min-free-space answered %+v, want store_unavailable saying low disk space", refused)
	}
	if status, body := readyz(t, s); status != http.StatusOK || !strings.Contains(body, "low disk space") {
		t.Fatalf("/readyz below --min-free-space = %d %s, want 200 saying low disk space", status, body)
	}
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "still here"})

	// Full: messages fail, and the one that failed is not stored.
	fullFiller := filepath.Join(mnt, "full-filler")
	fillUp(t, fullFiller)
	pad := strings.Repeat("x", 19000)
	lost := ""
	for i := 0; lost == ""; i++ {
		if i == 200 { // 3.8 MB, more than the store's preallocation
			t.Fatal("200 messages of 19 KB were stored on a full disk")
		}
		text := fmt.Sprintf("message %d %s", i, pad)
		f := customer.call("sendMessage", map[string]any{"type": "ChatMessage", "text": text})
		if f.Event == "error" {
			if e := decode[errorBody](t, f.Data); e.Code != "store_unavailable" {
				t.Fatalf("message on a full disk answered %+v, want store_unavailable", e)
			}
			lost = fmt.Sprintf("message %d ", i)
		}
	}
	if status, body := readyz(t, s); status != http.StatusServiceUnavailable || !strings.Contains(body, "no space left") {
		t.Fatalf("/readyz on a full disk = %d %s, want 503 naming the lack of space", status, body)
	}
	if status := initStatus(t, s, nil); status != http.StatusServiceUnavailable {
		t.Fatalf("init on a full disk: status %d, want 503", status)
	}
	agent.conn.Close() // its participantLeft cannot be stored now
	waitLog(t, s, "participantLeft owed")

	// Space is back: everything resumes without a restart.
	for _, f := range []string{fullFiller, lowFiller} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	waitStatus(t, func() int { status, _ := readyz(t, s); return status }, http.StatusOK, "/readyz once space is freed")
	waitFor(t, "the owed participantLeft stored", func() bool { return countLeft(t, s, conv, "agent-1") == 1 })
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "back again"})
	waitStatus(t, func() int { return initStatus(t, s, nil) }, http.StatusOK, "init once space is freed")

	// After a restart: the refused message is not there, the owed leave once.
	s.stop()
	s = startServer(t, dataDir, args...)
	for _, m := range storedMessages(t, s, conv) {
		if strings.HasPrefix(m.Text, lost) {
			t.Errorf("the message refused on the full disk (%q) is in the history after a restart", lost)
		}
	}
	if n := countLeft(t, s, conv, "agent-1"); n != 1 {
		t.Errorf("agent-1 left %d times after a restart, want 1", n)
	}
}

// freeBytes returns the bytes free on dir's file system.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

func writeFile(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fillUp writes path until the file system has no room left.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for range 1 << 14 { // 1 GiB at most: far more than the tmpfs holds
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("1 GiB written to a 48 MiB tmpfs")
}

func initStatus(t *testing.T, s *server, out *errorBody) int {
	t.Helper()
	var body errorBody
	status := s.doAs(t, "", "POST", "/api/customer/init", map[string]any{"firstName": "Bo", "channel": "web", "refId": "bo"}, &body)
	if out != nil {
		*out = body
	}
	return status
}

func readyz(t *testing.T, s *server) (int, string) {
	t.Helper()
	var body json.RawMessage
	status := s.doAs(t, "", "GET", "/readyz", nil, &body)
	return status, string(body)
}

// waitFor polls cond for up to 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, status func() int, want int, what string) {
	t.Helper()
	last := 0
	waitFor(t, fmt.Sprintf("%s: status %d (last %d)", what, want, last), func() bool { last = status(); return last == want })
}

func waitLog(t *testing.T, s *server, text string) {
	t.Helper()
	waitFor(t, "log line "+text, func() bool { return strings.Contains(s.logs.String(), text) })
}

// storedMessages returns the stored messages of a conversation.
func storedMessages(t *testing.T, s *server, conv string) []message {
	t.Helper()
	var page eventsPage
	if code := s.do(t, "GET", "/api/conversations/"+conv+"/events?limit=10000", nil, &page); code != http.StatusOK {
		t.Fatalf("events: status %d", code)
	}
	var out []message
	for _, e := range page.Events {
		var m message
		if err := json.Unmarshal(e.Data, &m); err == nil {
			out = append(out, m)
		}
	}
	return out
}

func countLeft(t *testing.T, s *server, conv, who string) int {
	t.Helper()
	n := 0
	for _, m := range storedMessages(t, s, conv) {
		if m.ActivityType == "participantLeft" && m.From.ID == who {
			n++
		}
	}
	return n
}
