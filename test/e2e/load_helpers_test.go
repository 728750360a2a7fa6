package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// trySend is send for goroutines other than the test's: it returns the
// error instead of failing the test.
func (c *wsClient) trySend(event string, data any, ack string) error {
	f := map[string]any{"event": event, "data": data}
	if ack != "" {
		f["ack"] = ack
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.conn.WriteJSON(f)
}

// tryCall is call for goroutines other than the test's: it sends a frame
// with an ack and returns the ack, or an error when the answer is an error
// frame or does not come within timeout.
func (c *wsClient) tryCall(event string, data any, timeout time.Duration) (frame, error) {
	ack := fmt.Sprintf("%s-%d", c.name, c.acks.Add(1))
	if err := c.trySend(event, data, ack); err != nil {
		return frame{}, fmt.Errorf("%s: send %s: %w", c.name, event, err)
	}
	want, _ := json.Marshal(ack)
	f, ok := c.take(func(f frame) bool {
		return (f.Event == "ack" || f.Event == "error") && string(f.Ack) == string(want)
	}, timeout)
	switch {
	case !ok:
		return frame{}, fmt.Errorf("%s: no answer to %s within %s (close code %d)", c.name, event, timeout, c.code())
	case f.Event != "ack":
		return f, fmt.Errorf("%s: %s answered %s: %s", c.name, event, f.Event, f.Data)
	}
	return f, nil
}

// readAnswer reads frames from a raw connection until an ack or error frame
// comes, skipping deliveries, and returns it.
func readAnswer(conn *websocket.Conn, timeout time.Duration) (frame, error) {
	conn.SetReadDeadline(time.Now().Add(timeout))
	defer conn.SetReadDeadline(time.Time{})
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			return frame{}, err
		}
		var f frame
		if err := json.Unmarshal(raw, &f); err != nil {
			return frame{}, fmt.Errorf("the server sent a frame that is not JSON: %q", raw)
		}
		if f.Event == "ack" || f.Event == "error" {
			return f, nil
		}
	}
}

// joinRaw joins conversation conv on a raw connection and returns its ack.
func joinRaw(t *testing.T, conn *websocket.Conn, data map[string]any) frame {
	t.Helper()
	if err := conn.WriteJSON(map[string]any{"event": "joinConversation", "ack": "join", "data": data}); err != nil {
		t.Fatal(err)
	}
	f, err := readAnswer(conn, 10*time.Second)
	if err != nil || f.Event != "ack" {
		t.Fatalf("join %v: %s %s %v", data, f.Event, f.Data, err)
	}
	return f
}

// rssKB returns the resident set size of process pid, in KiB.
func rssKB(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read the server's memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("parse VmRSS %q: %v", rest, err)
			}
			return kb
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// closeCode returns the close code of a connection's read error, or 0 when
// the connection ended without a close frame.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// sequenceOf returns a delivered message's sequence, failing when it has none.
func sequenceOf(t *testing.T, m message) int64 {
	t.Helper()
	if m.Sequence == nil {
		t.Fatalf("message %s (%s%s) has no sequence", m.ID, m.Type, m.ActivityType)
	}
	return int64(*m.Sequence)
}
