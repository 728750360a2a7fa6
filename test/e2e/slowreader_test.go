package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSlowReaderIsDisconnected joins a customer that stops reading, with a
// small --outbound-buffer, while an agent sends 2,000 messages of 4 KB: the
// server must drop the customer with close code 4000, which it sees once it
// reads again, while a supervisor in the same conversation receives every
// message.
func TestSlowReaderIsDisconnected(t *testing.T) {
	const (
		total   = 2000
		textLen = 4096
	)
	s := startServer(t, t.TempDir(), append(loadLimits, "--outbound-buffer", "64", "--max-text-length", strconv.Itoa(2*textLen))...)
	chat := startChat(t, s, map[string]any{"channel": "web", "refId": "slow"})

	slow := dialRaw(t, s, "")
	joinRaw(t, slow, map[string]any{"conversationId": chat.ConversationID, "token": chat.Token})

	fast := dialAs(t, s, "supervisor", supervisorKey)
	fast.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID})

	// The slow socket resumes reading as soon as the server logs that it
	// drops it: the server gives up on a write that a paused reader blocks
	// for 10s, and then closes without a close frame (1006), which would not
	// tell this test whether the slow reader was detected.
	type ending struct {
		frames int
		err    error
	}
	ended := make(chan ending, 1)
	testDone := make(chan struct{})
	t.Cleanup(func() { close(testDone) })
	go func() {
		deadline := time.After(3 * time.Minute)
		for !strings.Contains(s.logs.String(), "disconnecting slow websocket reader") {
			select {
			case <-deadline:
				ended <- ending{err: fmt.Errorf("the server did not log that it drops the slow reader: %w", context.DeadlineExceeded)}
				return
			case <-testDone:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		n := 0
		slow.SetReadDeadline(time.Now().Add(time.Minute))
		for {
			if _, _, err := slow.ReadMessage(); err != nil {
				ended <- ending{n, err}
				return
			}
			n++
		}
	}()

	text := strings.Repeat("x", textLen-5)
	for i := range total {
		agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": text + strconv.Itoa(10000+i)})
	}
	for i := range total {
		f, ok := fast.take(isEvent("messageArrived"), 30*time.Second)
		for ok && decode[message](t, f.Data).Type != "ChatMessage" {
			f, ok = fast.take(isEvent("messageArrived"), 30*time.Second)
		}
		if !ok {
			t.Fatalf("the fast reader got %d of %d messages (close code %d)", i, total, fast.code())
		}
		if m := decode[message](t, f.Data); !strings.HasSuffix(m.Text, strconv.Itoa(10000+i)) {
			t.Fatalf("the fast reader's message %d ends %q", i, m.Text[len(m.Text)-5:])
		}
	}

	var e ending
	select {
	case e = <-ended:
	case <-time.After(3 * time.Minute):
		t.Fatal("the slow socket did not end")
	}
	t.Logf("the slow reader read %d frames after resuming, then: %v", e.frames, e.err)
	if code := closeCode(e.err); code != 4000 {
		t.Fatalf("the slow reader's connection ended with %v, want close code 4000", e.err)
	}
	if fast.code() != 0 || agent.code() != 0 {
		t.Fatalf("other sockets were closed: supervisor %d, agent %d", fast.code(), agent.code())
	}
}
