package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type participant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

type message struct {
	ID             string          `json:"id"`
	ConversationID string          `json:"conversationId"`
	Type           string          `json:"type"`
	From           participant     `json:"from"`
	To             []participant   `json:"to"`
	Text           string          `json:"text"`
	Tag            string          `json:"tag"`
	ActivityType   string          `json:"activityType"`
	Timestamp      string          `json:"timestamp"`
	Sequence       *uint64         `json:"sequence"`
	Info           json.RawMessage `json:"info"`
}

type initAnswer struct {
	ConversationID string      `json:"conversationId"`
	Participant    participant `json:"participant"`
	RequestID      string      `json:"requestId"`
	Timestamp      string      `json:"timestamp"`
	Token          string      `json:"token"`
}

type conversationInfo struct {
	Conversation struct {
		ID      string `json:"id"`
		Channel string `json:"channel"`
		Status  string `json:"status"`
	} `json:"conversation"`
	Messages     []message `json:"messages"`
	Participants []struct {
		participant
		State string `json:"state"`
	} `json:"participants"`
	Role string `json:"role"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

type auditEvent struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Sequence uint64          `json:"sequence"`
	Recorded string          `json:"recorded"`
	Data     json.RawMessage `json:"data"`
	Metadata struct {
		CorrelationID string `json:"correlationId"`
		CausationID   string `json:"causationId"`
		SchemaVersion int    `json:"schemaVersion"`
	} `json:"metadata"`
}

type eventsPage struct {
	Events []auditEvent `json:"events"`
}

func startChat(t *testing.T, s *server, body map[string]any) initAnswer {
	t.Helper()
	var got initAnswer
	if code := s.doAs(t, "", "POST", "/api/customer/init", body, &got); code != http.StatusOK {
		t.Fatalf("init: status %d", code)
	}
	if got.ConversationID == "" || got.Participant.ID == "" || got.Timestamp == "" || got.Token == "" {
		t.Fatalf("init answer incomplete: %+v", got)
	}
	return got
}

// TestChatFlow drives the whole Customer Channel API against the real
// process, then restarts it on the same data directory.
func TestChatFlow(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)

	chat := startChat(t, s, map[string]any{
		"FirstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "phone": "+15550100",
		"channel": "web", "language": "en", "reqestId": "req-1", "timestamp": "2026-11-23T10:00:00Z",
	})
	if chat.RequestID != "req-1" || chat.Participant.Name != "Ada Lovelace" {
		t.Fatalf("init answer = %+v", chat)
	}
	conv := chat.ConversationID

	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": chat.Participant.ID, "name": "Ada", "token": chat.Token})
	info := decode[conversationInfo](t, customer.next("conversationInfo").Data)
	if info.Role != "customer" || info.Conversation.ID != conv || info.Conversation.Status != "queued" {
		t.Fatalf("customer conversationInfo = %+v", info)
	}
	if !hasActivity(info.Messages, "greetings") || !hasActivity(info.Messages, "participantJoined") {
		t.Fatalf("customer conversationInfo lacks greetings/participantJoined: %+v", info.Messages)
	}

	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": "agent-1", "name": "Grace", "role": "agent"})
	agentInfo := decode[conversationInfo](t, agent.next("conversationInfo").Data)
	if agentInfo.Role != "agent" {
		t.Fatalf("agent role = %q", agentInfo.Role)
	}
	joined := decode[message](t, customer.next("messageArrived").Data)
	if joined.ActivityType != "participantJoined" || joined.From.ID != "agent-1" || joined.From.Role != "agent" {
		t.Fatalf("customer got %+v, want the agent's participantJoined", joined)
	}

	supervisor := dialAs(t, s, "supervisor", supervisorKey)
	supervisor.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": "sup-1", "name": "Sam", "role": "supervisor"})
	supervisor.next("conversationInfo")

	// A message from the customer reaches both staff members, with its
	// sequence and timestamp; the sender gets an ack with the stored message.
	ack := customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "conversationId": conv, "text": "Hello, I need help"})
	sent := decode[message](t, ack.Data)
	if sent.ID == "" || sent.Sequence == nil || sent.ConversationID != conv || !strings.HasSuffix(sent.Timestamp, "Z") {
		t.Fatalf("ack = %s", ack.Data)
	}
	for _, c := range []*wsClient{agent, supervisor} {
		got := nextChat(t, c)
		if got.ID != sent.ID || *got.Sequence != *sent.Sequence || got.Text != "Hello, I need help" || got.From.ID != chat.Participant.ID {
			t.Fatalf("%s got %+v, want %+v", c.name, got, sent)
		}
	}
	customer.expectNone(300*time.Millisecond, isChat("Hello, I need help"))

	// A whisper never reaches the customer.
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "VIP customer", "tag": "whisper"})
	if got := nextChat(t, supervisor); got.Text != "VIP customer" || got.Tag != "whisper" {
		t.Fatalf("supervisor got %+v", got)
	}
	// A message with "to" reaches only its recipients.
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Just for you", "to": []map[string]string{{"id": chat.Participant.ID}}})
	if got := nextChat(t, customer); got.Text != "Just for you" {
		t.Fatalf("customer got %+v", got)
	}
	customer.expectNone(200*time.Millisecond, isChat("VIP customer"))
	supervisor.expectNone(200*time.Millisecond, isChat("Just for you"))

	// Bad input gets an error event and never closes the connection.
	for _, tc := range []struct {
		data any
		code string
	}{
		{map[string]any{"type": "ChatMessage", "text": "spoof", "from": map[string]string{"id": "agent-1"}}, "forbidden"},
		{map[string]any{"type": "ChatMessage", "text": "psst", "tag": "whisper"}, "forbidden"},
		{map[string]any{"type": "ChatMessage", "text": ""}, "invalid_message"},
		{map[string]any{"type": "Nonsense", "text": "x"}, "invalid_message"},
	} {
		f := customer.call("sendMessage", tc.data)
		if f.Event != "error" || decode[errorBody](t, f.Data).Code != tc.code {
			t.Fatalf("sendMessage %v answered %s %s, want error %s", tc.data, f.Event, f.Data, tc.code)
		}
	}
	customer.conn.WriteMessage(1, []byte("{not json"))
	if e := decode[errorBody](t, customer.next("error").Data); e.Code != "invalid_request" {
		t.Fatalf("bad JSON gave %+v", e)
	}
	if f := customer.call("dance", map[string]any{}); decode[errorBody](t, f.Data).Code != "unknown_event" {
		t.Fatalf("unknown event answered %s", f.Data)
	}

	// Resending a message with the same id is acknowledged and not stored twice.
	id := "5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90"
	first := decode[message](t, customer.mustCall("sendMessage", map[string]any{"id": id, "type": "ChatMessage", "text": "once"}).Data)
	again := decode[message](t, customer.mustCall("sendMessage", map[string]any{"id": id, "type": "ChatMessage", "text": "once"}).Data)
	if *first.Sequence != *again.Sequence || again.ID != id {
		t.Fatalf("resend stored again: first %+v, again %+v", first, again)
	}

	// Ending the conversation reaches everyone; sending afterwards is refused.
	agent.mustCall("endConversation", map[string]any{"conversationId": conv})
	for _, c := range []*wsClient{customer, supervisor} {
		if !waitActivity(t, c, "endOfConversation") {
			t.Fatalf("%s did not get endOfConversation", c.name)
		}
	}
	f := customer.call("sendMessage", map[string]any{"type": "ChatMessage", "text": "too late"})
	if f.Event != "error" || decode[errorBody](t, f.Data).Code != "conversation_ended" {
		t.Fatalf("send after end answered %s %s", f.Event, f.Data)
	}
	late := dialAs(t, s, "late", agentKey)
	if f := late.call("joinConversation", map[string]any{"conversationId": conv, "id": "agent-9"}); decode[errorBody](t, f.Data).Code != "conversation_ended" {
		t.Fatalf("join after end answered %s", f.Data)
	}

	var view conversationInfo
	if code := s.do(t, "GET", "/api/conversations/"+conv, nil, &view); code != http.StatusOK || view.Conversation.Status != "ended" {
		t.Fatalf("GET conversation: %d %+v", code, view.Conversation)
	}
	var before eventsPage
	s.do(t, "GET", "/api/conversations/"+conv+"/events", nil, &before)
	checkHistory(t, before.Events)
	chats := 0
	for _, e := range before.Events {
		if e.Type == "ChatMessage" {
			chats++
		}
	}
	if chats != 4 {
		t.Fatalf("%d ChatMessage events stored, want 4 (hello, whisper, to, once)", chats)
	}

	// Everything is still there after a restart on the same data directory.
	s.stop()
	s2 := startServer(t, dataDir)
	var after eventsPage
	s2.do(t, "GET", "/api/conversations/"+conv+"/events", nil, &after)
	if a, b := mustJSON(t, after.Events), mustJSON(t, before.Events); a != b {
		t.Fatalf("history changed across restart:\nbefore %s\nafter  %s", b, a)
	}
}

// checkHistory checks the audit view: contiguous sequences, metadata.
func checkHistory(t *testing.T, events []auditEvent) {
	t.Helper()
	if len(events) == 0 || events[0].Type != "ConversationStarted" {
		t.Fatalf("history does not start with ConversationStarted: %+v", events)
	}
	for i, e := range events {
		if e.Sequence != uint64(i) {
			t.Fatalf("event %d has sequence %d", i, e.Sequence)
		}
		if e.Metadata.CorrelationID == "" || e.Metadata.CausationID == "" || e.Metadata.SchemaVersion == 0 {
			t.Fatalf("event %d metadata incomplete: %+v", i, e.Metadata)
		}
		if e.Type == "ChatMessage" || e.Type == "ActivityMessage" {
			if m := decode[message](t, e.Data); m.ID != e.ID {
				t.Fatalf("event id %s is not its message id %s", e.ID, m.ID)
			}
		}
	}
}

func TestInitErrors(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, tc := range []struct {
		name  string
		body  any
		code  string
		field string
	}{
		{"no channel", map[string]any{"refId": "r"}, "invalid_request", "channel"},
		{"unknown channel", map[string]any{"channel": "pigeon", "refId": "r"}, "unknown_channel", "channel"},
		{"no identifier", map[string]any{"channel": "web", "firstName": "Ada"}, "invalid_request", "refId"},
		{"bad email", map[string]any{"channel": "web", "email": "not-an-email"}, "invalid_request", "email"},
		{"channel not a string", map[string]any{"channel": []int{1}, "refId": "r"}, "invalid_request", "channel"},
		{"not JSON", "{oops", "invalid_request", ""},
		{"not an object", "[1,2]", "invalid_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e errorBody
			if code := s.doAs(t, "", "POST", "/api/customer/init", tc.body, &e); code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400 (%+v)", code, e)
			}
			if e.Code != tc.code || e.Field != tc.field || e.Message == "" {
				t.Fatalf("error = %+v, want code %s field %q", e, tc.code, tc.field)
			}
		})
	}
	var e errorBody
	if code := s.do(t, "GET", "/api/conversations/nope", nil, &e); code != http.StatusNotFound || e.Code != "conversation_not_found" {
		t.Fatalf("unknown conversation: %d %+v", code, e)
	}
	if code := s.do(t, "GET", "/api/conversations/nope/events", nil, &e); code != http.StatusNotFound {
		t.Fatalf("unknown conversation events: %d", code)
	}
	if code := s.do(t, "GET", "/readyz", nil, nil); code != http.StatusOK {
		t.Fatalf("readyz: %d", code)
	}
}

func hasActivity(ms []message, kind string) bool {
	for _, m := range ms {
		if m.ActivityType == kind {
			return true
		}
	}
	return false
}

func nextChat(t *testing.T, c *wsClient) message {
	t.Helper()
	f, ok := c.take(func(f frame) bool {
		return f.Event == "messageArrived" && strings.Contains(string(f.Data), `"ChatMessage"`)
	}, 10*time.Second)
	if !ok {
		t.Fatalf("%s: no ChatMessage within 10s (queued %s)", c.name, c.queued())
	}
	return decode[message](t, f.Data)
}

func isChat(text string) func(frame) bool {
	return func(f frame) bool {
		return f.Event == "messageArrived" && strings.Contains(string(f.Data), text)
	}
}

func waitActivity(t *testing.T, c *wsClient, kind string) bool {
	_, ok := c.take(func(f frame) bool {
		return f.Event == "messageArrived" && strings.Contains(string(f.Data), `"activityType":"`+kind+`"`)
	}, 10*time.Second)
	return ok
}

func mustJSON(t *testing.T, v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
