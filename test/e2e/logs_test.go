package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestLogsHoldNoPersonalData drives a chat that carries a customer's email
// and phone number through every edge (a valid init, refused inits, REST
// lookups, websocket joins, messages, bad frames), with debug logging on,
// and checks that the server's whole log output never holds them.
func TestLogsHoldNoPersonalData(t *testing.T) {
	const (
		email = "grace.hopper@example.org"
		phone = "+1 555 010 0199"
	)
	raw := []string{email, "grace.hopper@", phone, "555 010 0199", "15550100199", "5550100199"}
	s := startServer(t, t.TempDir())

	chat := startChat(t, s, map[string]any{"channel": "web", "firstName": "Grace", "email": email, "phone": phone, "requestId": "pii-1"})
	for _, body := range []any{
		map[string]any{"channel": "pigeon", "email": email, "phone": phone},
		map[string]any{"channel": "web", "email": "grace.hopper at example.org", "phone": phone},
		map[string]any{"channel": "web", "email": email, "EMAIL": "other-" + email},
		map[string]any{"channel": []string{email}, "phone": phone},
		`{"channel":"web","email":"` + email + `","phone":` + "15550100199" + `,`,
	} {
		if code := s.doAs(t, "", "POST", "/api/customer/init", body, nil); code != http.StatusBadRequest {
			t.Fatalf("init %v: status %d, want 400", body, code)
		}
	}
	s.do(t, "GET", "/api/conversations/"+email, nil, nil)
	s.do(t, "GET", "/api/conversations/"+chat.ConversationID+"/events?from="+url.QueryEscape(phone), nil, nil)

	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "token": chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	agent.call("joinConversation", map[string]any{"conversationId": email, "id": phone})
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "name": "Agent " + phone})
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "reach me at " + email + " or " + phone})
	nextChat(t, agent)
	customer.call(email, map[string]any{"phone": phone})
	customer.call("sendMessage", map[string]any{"type": "ChatMessage", "text": phone, "from": map[string]string{"id": email}})
	customer.conn.WriteMessage(1, []byte(`{"event":"sendMessage","data":{"text":"`+email))
	customer.next("error")

	// The request method is client input that the debug log writes out as
	// it came: a method made of the phone's digits must reach the log masked.
	req, err := http.NewRequest("5550100199", s.url("/api/customer/init"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}

	agent.conn.Close()
	customer.conn.Close()
	s.stop()
	logs := s.logs.String()
	for _, r := range raw {
		if strings.Contains(logs, r) {
			t.Errorf("the server's log holds %q", r)
		}
	}
	if !strings.Contains(logs, "method=***99") {
		t.Errorf("the server's log lacks the masked method (***99); is the log redacted at all?")
	}
	// Masking must leave what makes logs useful alone.
	if !regexp.MustCompile(`remote=127\.0\.0\.1:\d+`).MatchString(logs) {
		t.Errorf("the server's log lacks an intact remote address (127.0.0.1:port)")
	}
	if !regexp.MustCompile(`conn=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`).MatchString(logs) {
		t.Errorf("the server's log lacks an intact connection UUID")
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logs)
	}
}
