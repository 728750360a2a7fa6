package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/test/esdbserver"
)

// TestStoreOutageOnEventStoreDB is the full-disk trial on EventStoreDB,
// where the store is unavailable, then back: while the node is down a
// message is refused with store_unavailable, /readyz answers 503 and a
// closed socket's participantLeft is owed; once the node is back appends
// resume without a restart and the owed leave is stored once.
func TestStoreOutageOnEventStoreDB(t *testing.T) {
	node, err := esdbserver.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	s := startServer(t, t.TempDir(), "--store", node.URL())

	chat := startChat(t, s, map[string]any{"firstName": "Ada", "channel": "web", "refId": "ada"})
	conv := chat.ConversationID
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": chat.Participant.ID, "name": "Ada", "token": chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": "agent-1", "name": "Grace", "role": "agent"})

	node.Kill()
	f := customer.call("sendMessage", map[string]any{"type": "ChatMessage", "text": "during the outage"})
	if e := decode[errorBody](t, f.Data); f.Event != "error" || e.Code != "store_unavailable" {
		t.Fatalf("message while the node is down answered %s %s, want error store_unavailable", f.Event, f.Data)
	}
	if status, body := readyz(t, s); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while the node is down = %d %s, want 503", status, body)
	}
	agent.conn.Close()
	waitLog(t, s, "participantLeft owed")

	if err := node.Revive(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, func() int { status, _ := readyz(t, s); return status }, http.StatusOK, "/readyz once the node is back")
	waitFor(t, "the owed participantLeft stored", func() bool { return countLeft(t, s, conv, "agent-1") == 1 })
	waitFor(t, "a message once the node is back", func() bool {
		return customer.call("sendMessage", map[string]any{"type": "ChatMessage", "text": "after the outage"}).Event == "ack"
	})
	for _, m := range storedMessages(t, s, conv) {
		if strings.Contains(m.Text, "during the outage") {
			t.Errorf("the message refused during the outage is stored")
		}
	}
	if n := countLeft(t, s, conv, "agent-1"); n != 1 {
		t.Errorf("agent-1 left %d times, want 1", n)
	}
}
