package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sioMessage is messageArrived's data as the Socket.IO client saw it.
func sioMessage(t *testing.T, c *sioClient) message {
	t.Helper()
	return decode[message](t, c.event("messageArrived"))
}

// sioNextChat returns the next chat message the Socket.IO client got,
// passing over activities.
func sioNextChat(t *testing.T, c *sioClient) message {
	t.Helper()
	for {
		if m := sioMessage(t, c); m.Type == "ChatMessage" {
			return m
		}
	}
}

func sioIsChat(text string) func(sioSeen) bool {
	return func(s sioSeen) bool {
		return s.Type == "event" && s.Event == "messageArrived" && strings.Contains(string(s.Data), `"text":"`+text+`"`)
	}
}

// TestSocketIOChat: a customer on the real socket.io-client (long-polling,
// then upgraded to a websocket) chats with an agent on the JSON websocket.
func TestSocketIOChat(t *testing.T) {
	s := startServer(t, t.TempDir())
	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	conv := chat.ConversationID

	customer := dialSIO(t, s, "customer", map[string]any{"auth": map[string]any{"token": chat.Token}})
	if open := customer.must("open", func(x sioSeen) bool { return x.Type == "open" }); open.Transport != "polling" {
		t.Fatalf("first transport %q, want polling", open.Transport)
	}
	customer.connected()
	customer.must("upgrade to websocket", func(x sioSeen) bool { return x.Type == "upgrade" && x.Transport == "websocket" })

	join := map[string]any{"conversationId": conv, "id": chat.Participant.ID, "name": "Ada"}
	ack := decode[struct {
		ConversationID string      `json:"conversationId"`
		Participant    participant `json:"participant"`
		Sequence       int64       `json:"sequence"`
	}](t, customer.mustCall("joinConversation", join))
	if ack.ConversationID != conv || ack.Participant.ID != chat.Participant.ID {
		t.Fatalf("join callback = %+v", ack)
	}
	info := decode[conversationInfo](t, customer.event("conversationInfo"))
	if info.Role != "customer" || info.Conversation.ID != conv || !hasActivity(info.Messages, "greetings") {
		t.Fatalf("conversationInfo = %+v", info)
	}

	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": "agent-1", "name": "Grace", "role": "agent"})
	agent.next("conversationInfo")
	if m := sioMessage(t, customer); m.ActivityType != "participantJoined" || m.From.ID != "agent-1" {
		t.Fatalf("customer got %+v, want the agent's participantJoined", m)
	}

	// Socket.IO to JSON websocket and back.
	sent := decode[message](t, customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Hello over Socket.IO"}))
	if sent.ID == "" || sent.Sequence == nil || sent.ConversationID != conv {
		t.Fatalf("sendMessage callback = %+v", sent)
	}
	if got := nextChat(t, agent); got.ID != sent.ID || got.Text != "Hello over Socket.IO" {
		t.Fatalf("agent got %+v", got)
	}
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "VIP customer", "tag": "whisper"})
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Just for you", "to": []map[string]string{{"id": chat.Participant.ID}}})
	reply := decode[message](t, agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Hello from the websocket"}).Data)
	if got := sioNextChat(t, customer); got.Text != "Just for you" {
		t.Fatalf("customer got %+v, want the message sent to them", got)
	}
	if got := sioNextChat(t, customer); got.ID != reply.ID || *got.Sequence != *reply.Sequence {
		t.Fatalf("customer got %+v, want %+v", got, reply)
	}
	customer.expectNone(300*time.Millisecond, sioIsChat("VIP customer"))

	// Failures reach the callback as {"error"}, or the error event without one.
	if e := customer.callError("sendMessage", map[string]any{"type": "ChatMessage", "text": ""}); e.Code != "invalid_message" {
		t.Fatalf("empty text: %+v", e)
	}
	if e := customer.callError("dance", map[string]any{}); e.Code != "unknown_event" {
		t.Fatalf("unknown event: %+v", e)
	}
	customer.command(map[string]any{"op": "send", "event": "sendMessage", "data": map[string]any{"type": "Nonsense"}})
	if e := decode[errorBody](t, customer.event("error")); e.Code != "invalid_message" {
		t.Fatalf("error event = %+v", e)
	}

	// The connection is cut; the agent writes meanwhile; the customer
	// reconnects and rejoins with since: nothing missing, nothing repeated.
	last := *reply.Sequence
	customer.command(map[string]any{"op": "cut"})
	customer.must("disconnect", func(x sioSeen) bool { return x.Type == "disconnect" })
	waitActivity(t, agent, "participantLeft")
	away := decode[message](t, agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "While you were away"}).Data)
	customer.connected()
	join["since"] = last
	customer.mustCall("joinConversation", join)
	rejoined := decode[conversationInfo](t, customer.event("conversationInfo"))
	seen := map[string]bool{}
	for _, m := range rejoined.Messages {
		if m.Sequence == nil || int64(*m.Sequence) <= int64(last) || seen[m.ID] {
			t.Fatalf("rejoin with since %d holds %+v", last, m)
		}
		seen[m.ID] = true
	}
	if !seen[away.ID] || !hasText(rejoined.Messages, "While you were away") {
		t.Fatalf("rejoin with since %d lacks the message sent while away: %+v", last, rejoined.Messages)
	}
	if hasText(rejoined.Messages, "VIP customer") {
		t.Fatal("the whisper reached the customer on rejoin")
	}

	// The end reaches the Socket.IO customer; the transcript holds the chat.
	agent.mustCall("endConversation", map[string]any{"conversationId": conv})
	customer.must("endOfConversation", func(x sioSeen) bool {
		return x.Type == "event" && x.Event == "messageArrived" && strings.Contains(string(x.Data), `"endOfConversation"`)
	})
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, _, body := s.get(t, chat.Token, "/api/customer/transcript/"+conv+"/txt")
		if code == http.StatusOK {
			text = string(body)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transcript: status %d %s", code, body)
		}
	}
	for _, want := range []string{"Hello over Socket.IO", "Hello from the websocket", "While you were away"} {
		if !strings.Contains(text, want) {
			t.Fatalf("transcript lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "VIP customer") {
		t.Fatal("the customer's transcript holds the whisper")
	}
}

// TestSocketIOConnector: a channel connector on socket.io-client registers,
// receives with refId, acknowledges, and gets what it did not acknowledge
// again after a reconnect.
func TestSocketIOConnector(t *testing.T) {
	s := startServer(t, t.TempDir())
	sms := dialSIO(t, s, "sms", map[string]any{"auth": map[string]any{"apiKey": smsConnectorKey}, "transports": []string{"websocket"}})
	sms.connected()
	registration := map[string]any{"id": "sms", "name": "SMS gateway", "channel": "sms"}
	sms.mustCall("registerConnector", registration)
	in := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550001", "text": "Hi, my parcel is late"}))
	conv := in.ConversationID

	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "name": "Grace"})
	agent.next("conversationInfo")
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "internal note", "tag": "whisper"})
	first := decode[message](t, agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "It ships today"}).Data)

	next := func() outbound {
		for {
			m := decode[outbound](t, sms.event("messageArrived"))
			if m.Type == "ChatMessage" {
				return m
			}
			sms.mustCall("messageDelivered", map[string]any{"id": m.ID})
		}
	}
	got := next()
	if got.ID != first.ID || got.RefID != "+15550001" || got.Channel != "sms" {
		t.Fatalf("connector got %+v", got)
	}
	sms.mustCall("messageDelivered", map[string]any{"id": got.ID})

	second := decode[message](t, agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Tracking number 42"}).Data)
	if got := next(); got.ID != second.ID {
		t.Fatalf("connector got %+v, want %s", got, second.ID)
	}
	// Not acknowledged: after the cut and a new registration it comes again.
	sms.command(map[string]any{"op": "cut"})
	sms.must("disconnect", func(x sioSeen) bool { return x.Type == "disconnect" })
	sms.connected()
	sms.mustCall("registerConnector", registration)
	again := next()
	if again.ID != second.ID || again.RefID != "+15550001" {
		t.Fatalf("after the reconnect the connector got %+v, want %s again", again, second.ID)
	}
	sms.mustCall("messageDelivered", map[string]any{"id": again.ID})
	sms.expectNone(300*time.Millisecond, sioIsChat("It ships today"))
	sms.expectNone(10*time.Millisecond, sioIsChat("internal note"))
}

// TestSocketIOCredentials: bad or missing credentials end in connect_error
// "unauthenticated" before anything is stored; an API key works in auth or
// in the Authorization header.
func TestSocketIOCredentials(t *testing.T) {
	s := startServer(t, t.TempDir())
	chat := startChat(t, s, map[string]any{"email": "ada@example.com", "channel": "web"})
	before := len(s.events(t, chat.ConversationID))
	for name, opts := range map[string]map[string]any{
		"bad token":   {"auth": map[string]any{"token": "not-a-token"}},
		"bad api key": {"auth": map[string]any{"apiKey": "nope"}},
		"missing":     {},
		"websocket":   {"auth": map[string]any{"token": chat.Token + "x"}, "transports": []string{"websocket"}},
	} {
		c := dialSIO(t, s, name, opts)
		e := c.must("connect_error", func(x sioSeen) bool { return x.Type == "connect_error" || x.Type == "connect" })
		if e.Type != "connect_error" || e.Message != "unauthenticated" {
			t.Fatalf("%s: got %+v, want connect_error unauthenticated", name, e)
		}
	}
	if after := len(s.events(t, chat.ConversationID)); after != before {
		t.Fatalf("refused connections stored %d events", after-before)
	}

	header := dialSIO(t, s, "header", map[string]any{"extraHeaders": map[string]string{"Authorization": "Bearer " + agentKey}})
	header.connected()
	header.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "name": "Grace"})
	if info := decode[conversationInfo](t, header.event("conversationInfo")); info.Role != "agent" {
		t.Fatalf("agent by header joined as %q", info.Role)
	}
	// A customer token binds the connection to its own conversation.
	other := startChat(t, s, map[string]any{"email": "bob@example.com", "channel": "web"})
	bob := dialSIO(t, s, "bob", map[string]any{"auth": map[string]any{"token": other.Token}})
	bob.connected()
	if e := bob.callError("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": "x"}); e.Code != "forbidden" {
		t.Fatalf("joining another's conversation: %+v", e)
	}
}

// TestSocketIOWebsocketOnly: with --socketio-websocket-only, long-polling
// is refused and websocket clients connect.
func TestSocketIOWebsocketOnly(t *testing.T) {
	s := startServer(t, t.TempDir(), "--socketio-websocket-only")
	var e errorBody
	if code := s.doAs(t, "", "GET", "/socket.io/?EIO=4&transport=polling", nil, &e); code != http.StatusBadRequest || e.Code != "invalid_request" {
		t.Fatalf("polling handshake: %d %+v", code, e)
	}
	c := dialSIO(t, s, "agent", map[string]any{"auth": map[string]any{"apiKey": agentKey}, "transports": []string{"websocket"}})
	if tr := c.connected(); tr != "websocket" {
		t.Fatalf("transport %q", tr)
	}
}

// TestSocketIOReadmeExample runs the README's Socket.IO client example as
// it is written there, against a server with authentication on.
func TestSocketIOReadmeExample(t *testing.T) {
	needNode(t)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- socketio-example -->\n```js\n"
	_, rest, ok := strings.Cut(string(readme), marker)
	code, _, closed := strings.Cut(rest, "\n```")
	if !ok || !closed {
		t.Fatal("the README has no Socket.IO example")
	}
	file := filepath.Join(t.TempDir(), "customer.js")
	if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	modules, _ := filepath.Abs(filepath.Join(sioDir, "node_modules"))
	s := startServer(t, t.TempDir())
	cmd := exec.Command("node", file)
	cmd.Env = append(os.Environ(), "PARLEY_URL=http://"+s.addr, "NODE_PATH="+modules)
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the example did not end:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "joined as customer") || !strings.Contains(string(out), "sent as #") {
		t.Fatalf("the example: %v\n%s", err, out)
	}
	t.Logf("the example printed:\n%s", out)
}
