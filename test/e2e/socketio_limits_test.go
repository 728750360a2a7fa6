package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pollingSession is a Socket.IO client over long-polling written by hand,
// for what the real client never does: not polling, oversized bodies.
type pollingSession struct {
	t   *testing.T
	s   *server
	sid string
}

func openPolling(t *testing.T, s *server) *pollingSession {
	t.Helper()
	code, body := pollingRequest(t, s, "GET", "/socket.io/?EIO=4&transport=polling", "", nil)
	if code != http.StatusOK || !strings.HasPrefix(body, "0{") {
		t.Fatalf("handshake: %d %s", code, body)
	}
	var open struct {
		SID        string `json:"sid"`
		MaxPayload int64  `json:"maxPayload"`
	}
	if err := json.Unmarshal([]byte(body[1:]), &open); err != nil || open.SID == "" {
		t.Fatalf("open packet %s: %v", body, err)
	}
	return &pollingSession{t: t, s: s, sid: open.SID}
}

func pollingRequest(t *testing.T, s *server, method, path, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url(path), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *pollingSession) path() string { return "/socket.io/?EIO=4&transport=polling&sid=" + p.sid }

// post sends packets, separated as Engine.IO 4 does.
func (p *pollingSession) post(packets ...string) (int, string) {
	p.t.Helper()
	return pollingRequest(p.t, p.s, "POST", p.path(), strings.Join(packets, "\x1e"), nil)
}

func (p *pollingSession) poll() (int, string) {
	p.t.Helper()
	return pollingRequest(p.t, p.s, "GET", p.path(), "", nil)
}

// TestSocketIOLimits: the JSON websocket's limits hold on Socket.IO: the
// frame size, origins, rate limits and the slow-reader policy.
func TestSocketIOLimits(t *testing.T) {
	s := startServer(t, t.TempDir(), "--max-frame-bytes", "4096", "--allowed-origins", "https://shop.example",
		"--outbound-buffer", "8", "--frames-per-second", "1", "--frame-burst", "5")

	// Origins: a foreign page is refused; an allowed one gets CORS headers.
	if code, body := pollingRequest(t, s, "GET", "/socket.io/?EIO=4&transport=polling", "", http.Header{"Origin": {"https://evil.example"}}); code != http.StatusForbidden || !strings.Contains(body, `"forbidden"`) {
		t.Fatalf("foreign origin: %d %s", code, body)
	}
	req, _ := http.NewRequest("OPTIONS", s.url("/socket.io/?EIO=4&transport=polling"), nil)
	req.Header.Set("Origin", "https://shop.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}

	// A polling body over maxPayload is refused and ends the session.
	big := openPolling(t, s)
	if code, body := big.post(`42["sendMessage",{"text":"` + strings.Repeat("x", 8000) + `"}]`); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"too_large"`) {
		t.Fatalf("oversized body: %d %s", code, body)
	}
	if code, _ := big.poll(); code != http.StatusBadRequest {
		t.Fatalf("poll after the oversized body: %d, want 400 (session ended)", code)
	}

	// A slow reader: a customer that stops polling while the agent talks
	// is disconnected, and its leave is stored.
	chat := startChat(t, s, map[string]any{"email": "ada@example.com", "channel": "web"})
	slow := openPolling(t, s)
	slow.post(`40{"token":"` + chat.Token + `"}`)
	if _, body := slow.poll(); !strings.HasPrefix(body, "40{") {
		t.Fatalf("connect answered %q", body)
	}
	slow.post(`421["joinConversation",{"conversationId":"` + chat.ConversationID + `","id":"` + chat.Participant.ID + `"}]`)
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "name": "Grace"})
	for i := 0; i < 30; i++ {
		agent.send("sendMessage", map[string]any{"type": "ChatMessage", "text": "are you there?"}, "")
		time.Sleep(250 * time.Millisecond) // within the agent's own rate limit
		if _, ok := agent.take(func(f frame) bool {
			return f.Event == "messageArrived" && strings.Contains(string(f.Data), `"participantLeft"`)
		}, 10*time.Millisecond); ok {
			break
		}
		if i == 29 {
			t.Fatal("the customer who stopped reading was never disconnected")
		}
	}
	if code, body := slow.poll(); code != http.StatusBadRequest {
		t.Fatalf("the slow reader's next poll: %d %q, want 400 (session ended)", code, body[max(0, len(body)-40):])
	}

	// Rate limits: frames beyond the burst are refused with rate_limited.
	flood := dialSIO(t, s, "flood", map[string]any{"auth": map[string]any{"apiKey": agentKey}, "transports": []string{"websocket"}})
	flood.connected()
	for i := 0; i < 10; i++ {
		flood.command(map[string]any{"op": "send", "event": "sendMessage", "data": map[string]any{"text": "x"}})
	}
	flood.must("rate_limited", func(x sioSeen) bool {
		return x.Type == "event" && x.Event == "error" && strings.Contains(string(x.Data), `"rate_limited"`)
	})
}

// TestSocketIOShutdown: a client on long-polling alone chats; a graceful
// shutdown answers the long polls under way, so it needs no more than the JSON websocket's, and stores the leave
// of each Socket.IO customer.
func TestSocketIOShutdown(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "--shutdown-timeout", "10s")
	chat := startChat(t, s, map[string]any{"email": "ada@example.com", "channel": "web"})
	customer := dialSIO(t, s, "customer", map[string]any{"auth": map[string]any{"token": chat.Token}, "transports": []string{"polling"}, "reconnection": false})
	customer.connected()
	customer.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": chat.Participant.ID})
	customer.event("conversationInfo")
	// Long-polling alone carries the chat both ways.
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "name": "Grace"})
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Polling works"})
	if got := sioNextChat(t, customer); got.Text != "Polling works" {
		t.Fatalf("the polling customer got %+v", got)
	}
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "So it does"})
	if got := nextChat(t, agent); got.Text != "So it does" {
		t.Fatalf("the agent got %+v", got)
	}
	s.stop()
	if code := s.cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(s.logs.String(), "deadline exceeded") {
		t.Fatalf("shutdown exited %d:\n%s", code, s.logs.String())
	}
	customer.must("disconnect", func(x sioSeen) bool { return x.Type == "disconnect" })

	s2 := startServer(t, dataDir)
	left := false
	for _, e := range s2.events(t, chat.ConversationID) {
		left = left || strings.Contains(string(e.Data), `"participantLeft"`) && strings.Contains(string(e.Data), chat.Participant.ID)
	}
	if !left {
		t.Fatal("the Socket.IO customer's leave was not stored at shutdown")
	}
}
