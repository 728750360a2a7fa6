package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestCrashKeepsAcknowledgedMessages sends messages from many sockets, kills
// the process with SIGKILL mid-load, restarts it, and checks that every
// acknowledged message is stored, whole, in order.
func TestCrashKeepsAcknowledgedMessages(t *testing.T) {
	const (
		senders  = 16
		maxEach  = 3000 // bounds the load even on a fast machine
		loadTime = 1500 * time.Millisecond
	)
	dataDir := t.TempDir()
	s := startServer(t, dataDir, loadLimits...)

	convs := make([]initAnswer, senders)
	conns := make([]*websocket.Conn, senders)
	for i := range convs {
		convs[i] = startChat(t, s, map[string]any{"channel": "web", "refId": fmt.Sprintf("crash-%d", i)})
		conns[i] = dialRaw(t, s, "")
		if err := conns[i].WriteJSON(map[string]any{"event": "joinConversation", "ack": "join", "data": map[string]any{"conversationId": convs[i].ConversationID, "token": convs[i].Token}}); err != nil {
			t.Fatal(err)
		}
		for {
			var f frame
			if err := conns[i].ReadJSON(&f); err != nil {
				t.Fatal(err)
			}
			if f.Event == "error" {
				t.Fatalf("join: %s", f.Data)
			}
			if f.Event == "ack" {
				break
			}
		}
	}

	acked := make([][]string, senders)
	var wg sync.WaitGroup
	stop := time.Now().Add(loadTime)
	for i := range conns {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			acked[i] = sendUntilDead(conns[i], maxEach, stop)
		}(i)
	}
	time.Sleep(loadTime)
	s.kill()
	wg.Wait()

	total := 0
	for _, ids := range acked {
		total += len(ids)
	}
	if total == 0 {
		t.Fatal("no message was acknowledged before the kill")
	}
	t.Logf("%d messages acknowledged before SIGKILL", total)

	s2 := startServer(t, dataDir, loadLimits...)
	for i, conv := range convs {
		stored := map[string]bool{}
		events := readAllEvents(t, s2, conv.ConversationID)
		for seq, e := range events {
			if e.Sequence != uint64(seq) {
				t.Fatalf("conversation %d: event %d has sequence %d", i, seq, e.Sequence)
			}
			if !json.Valid(e.Data) {
				t.Fatalf("conversation %d: event %d is torn: %q", i, seq, e.Data)
			}
			stored[e.ID] = true
		}
		for _, id := range acked[i] {
			if !stored[id] {
				t.Fatalf("conversation %d: acknowledged message %s is lost", i, id)
			}
		}
	}
}

// sendUntilDead sends ChatMessages one at a time, each with an ack, until
// the connection dies, max are sent or stop passes; it returns the ids of the
// acknowledged ones.
func sendUntilDead(conn *websocket.Conn, max int, stop time.Time) []string {
	var ids []string
	for n := 0; n < max; n++ {
		ack := fmt.Sprint(n)
		if err := conn.WriteJSON(map[string]any{"event": "sendMessage", "ack": ack, "data": map[string]any{"type": "ChatMessage", "text": "load " + ack}}); err != nil {
			return ids
		}
		for {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			var f frame
			if err := conn.ReadJSON(&f); err != nil {
				return ids
			}
			if f.Event == "ack" && string(f.Ack) == `"`+ack+`"` {
				var m message
				if json.Unmarshal(f.Data, &m) == nil {
					ids = append(ids, m.ID)
				}
				break
			}
		}
		if time.Now().After(stop.Add(time.Second)) {
			return ids // the kill should have come by now
		}
	}
	return ids
}

func readAllEvents(t *testing.T, s *server, conv string) []auditEvent {
	t.Helper()
	var all []auditEvent
	for {
		var page struct {
			Events []auditEvent `json:"events"`
			Next   *uint64      `json:"next"`
		}
		if code := s.do(t, "GET", fmt.Sprintf("/api/conversations/%s/events?from=%d", conv, len(all)), nil, &page); code != http.StatusOK {
			t.Fatalf("read events of %s: status %d", conv, code)
		}
		all = append(all, page.Events...)
		if page.Next == nil {
			return all
		}
	}
}
