package e2e

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestShutdownWhileSocketsClose sends SIGTERM at the moment many joined
// sockets close. Each socket's leave must be stored either way, and the
// graceful shutdown must finish well within --shutdown-timeout and exit 0:
// a socket that closes as the server shuts down must not be left waiting.
func TestShutdownWhileSocketsClose(t *testing.T) {
	const (
		rounds  = 3
		sockets = 40
	)
	for round := range rounds {
		dataDir := t.TempDir()
		s := startServer(t, dataDir, append(loadLimits, "--shutdown-timeout", "8s")...)
		chat := startChat(t, s, map[string]any{"channel": "web", "refId": fmt.Sprintf("shutdown-%d", round)})
		conns := make([]*websocket.Conn, sockets)
		for i := range conns {
			conns[i] = dialRaw(t, s, agentKey)
			joinRaw(t, conns[i], map[string]any{"conversationId": chat.ConversationID, "id": fmt.Sprintf("agent-%d", i)})
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, c := range conns {
			wg.Add(1)
			go func() { defer wg.Done(); <-start; c.Close() }()
		}
		close(start)
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		began := time.Now()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: parley did not exit within 30s of SIGTERM", round)
		}
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("round %d: parley exited with %d after %s:\n%s", round, code, time.Since(began).Round(time.Millisecond), s.logs.String())
		}
		left := map[string]bool{}
		for _, e := range readAllEvents(t, startServer(t, dataDir), chat.ConversationID) {
			if m := decode[message](t, e.Data); m.ActivityType == "participantLeft" {
				left[m.From.ID] = true
			}
		}
		if len(left) != sockets {
			t.Fatalf("round %d: %d of %d sockets have their participantLeft stored", round, len(left), sockets)
		}
	}
}
