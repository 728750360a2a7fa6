package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestSecurity checks that credentials decide who may do what, and that
// every refusal stores nothing.
func TestSecurity(t *testing.T) {
	s := startServer(t, t.TempDir())
	mine := startChat(t, s, map[string]any{"channel": "web", "refId": "alice"})
	theirs := startChat(t, s, map[string]any{"channel": "web", "refId": "bob"})
	before := eventCount(t, s, theirs.ConversationID)

	expectError := func(c *wsClient, event string, data any, code string) {
		t.Helper()
		f := c.call(event, data)
		if f.Event != "error" || decode[errorBody](t, f.Data).Code != code {
			t.Fatalf("%s %v answered %s %s, want error %s", event, data, f.Event, f.Data, code)
		}
	}

	// A valid token of another conversation does not open this one.
	c := dial(t, s, "intruder")
	expectError(c, "joinConversation", map[string]any{"conversationId": theirs.ConversationID, "token": mine.Token}, "forbidden")
	expectError(c, "joinConversation", map[string]any{"conversationId": theirs.ConversationID, "id": theirs.Participant.ID, "token": mine.Token}, "forbidden")
	// No token, a forged one, an expired one.
	expectError(c, "joinConversation", map[string]any{"conversationId": theirs.ConversationID, "id": theirs.Participant.ID}, "unauthenticated")
	forged := mine.Token[:strings.LastIndex(mine.Token, ".")+1] + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	expectError(c, "joinConversation", map[string]any{"conversationId": mine.ConversationID, "token": forged}, "unauthenticated")
	short := startServer(t, t.TempDir(), "--token-ttl", "1s")
	stale := startChat(t, short, map[string]any{"channel": "web", "refId": "carol"})
	time.Sleep(2100 * time.Millisecond)
	sc := dial(t, short, "stale")
	expectError(sc, "joinConversation", map[string]any{"conversationId": stale.ConversationID, "token": stale.Token}, "unauthenticated")
	// The start, and routing's handOff and noAgentAvailable to the customer.
	if n := eventCount(t, short, stale.ConversationID); n != 3 {
		t.Fatalf("the refused join stored something: %d events", n)
	}

	// Bad credentials on the upgrade are refused before the socket opens.
	_, resp, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/ws", http.Header{"Authorization": {"Bearer not-a-key"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("upgrade with a bad key: %v, %+v", err, resp)
	}

	// A customer may not whisper, nor speak as anyone else.
	cust := dial(t, s, "customer")
	cust.mustCall("joinConversation", map[string]any{"conversationId": mine.ConversationID, "token": mine.Token})
	expectError(cust, "sendMessage", map[string]any{"type": "ChatMessage", "text": "psst", "tag": "whisper"}, "forbidden")
	expectError(cust, "sendMessage", map[string]any{"type": "ChatMessage", "text": "hi", "from": map[string]string{"id": "agent-1"}}, "forbidden")
	expectError(cust, "sendMessage", map[string]any{"type": "ChatMessage", "text": "hi", "conversationId": theirs.ConversationID}, "not_a_participant")
	expectError(cust, "endConversation", map[string]any{"conversationId": theirs.ConversationID}, "not_a_participant")

	// A connector may register only for its own channel; an agent not at all.
	sms := dialAs(t, s, "sms", smsConnectorKey)
	expectError(sms, "registerConnector", map[string]any{"id": "fb", "name": "Facebook", "channel": "fb"}, "forbidden")
	agent := dialAs(t, s, "agent", agentKey)
	expectError(agent, "registerConnector", map[string]any{"id": "sms", "name": "SMS", "channel": "sms"}, "forbidden")
	// A connector key does not join conversations; an agent key joins only as agent.
	expectError(sms, "joinConversation", map[string]any{"conversationId": mine.ConversationID, "id": "x"}, "forbidden")
	expectError(agent, "joinConversation", map[string]any{"conversationId": mine.ConversationID, "id": "x", "role": "supervisor"}, "forbidden")

	// REST: the history needs staff; a customer sees only its own conversation.
	var e errorBody
	if code := s.doAs(t, "", "GET", "/api/conversations/"+theirs.ConversationID+"/events", nil, &e); code != http.StatusUnauthorized || e.Code != "unauthenticated" {
		t.Fatalf("anonymous history: %d %+v", code, e)
	}
	if code := s.doAs(t, mine.Token, "GET", "/api/conversations/"+theirs.ConversationID, nil, &e); code != http.StatusForbidden {
		t.Fatalf("customer reads another conversation: %d %+v", code, e)
	}
	if code := s.doAs(t, mine.Token, "GET", "/api/conversations/"+mine.ConversationID+"/events", nil, &e); code != http.StatusForbidden {
		t.Fatalf("customer reads the raw history: %d %+v", code, e)
	}
	if code := s.doAs(t, "garbage", "GET", "/api/conversations/"+mine.ConversationID, nil, &e); code != http.StatusUnauthorized {
		t.Fatalf("bad bearer: %d %+v", code, e)
	}
	if code := s.doAs(t, mine.Token, "GET", "/api/conversations/"+mine.ConversationID, nil, nil); code != http.StatusOK {
		t.Fatalf("customer reads its own conversation: %d", code)
	}

	if after := eventCount(t, s, theirs.ConversationID); after != before {
		t.Fatalf("refused requests stored events in the other conversation: %d before, %d after", before, after)
	}
}

// TestInitIsIdempotent checks that the same requestId from the same customer
// returns the same conversation, started once.
func TestInitIsIdempotent(t *testing.T) {
	s := startServer(t, t.TempDir())
	body := map[string]any{"channel": "web", "email": "ada@example.com", "requestId": "9f1c-req"}
	a := startChat(t, s, body)
	b := startChat(t, s, body)
	if a.ConversationID != b.ConversationID || a.Participant.ID != b.Participant.ID {
		t.Fatalf("same request gave %s and %s", a.ConversationID, b.ConversationID)
	}
	// Started once, and queued once: routing's handOff and noAgentAvailable.
	if n := eventCount(t, s, a.ConversationID); n != 3 {
		t.Fatalf("%d events after two identical inits, want 3", n)
	}
	other := startChat(t, s, map[string]any{"channel": "web", "email": "bob@example.com", "requestId": "9f1c-req"})
	if other.ConversationID == a.ConversationID {
		t.Fatal("another customer's request with the same requestId got the same conversation")
	}
}

func eventCount(t *testing.T, s *server, conv string) int {
	t.Helper()
	return len(readAllEvents(t, s, conv))
}
