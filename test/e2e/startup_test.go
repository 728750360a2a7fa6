package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A restarted node restores the connectors read model from the snapshot it
// saved at shutdown and folds only the events after it; what was owed to a
// connector before the restart is still delivered, and the customer's
// active conversation is still known.
func TestRestartResumesFromTheSnapshot(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	sms := register(t, s, "sms", smsConnectorKey)
	ack := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550009", "text": "Where is my order?"}).Data)
	conv := ack.ConversationID
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "name": "Grace"})
	agent.next("conversationInfo")
	sms.conn.Close() // the connector goes away before the answer
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "It left this morning"})
	s.stop()
	if _, err := os.Stat(filepath.Join(dir, "readmodels", "connectors.snapshot")); err != nil {
		t.Fatalf("no snapshot after a graceful stop: %v", err)
	}

	s = startServer(t, dir)
	if logs := s.logs.String(); !strings.Contains(logs, "connectors restored from their snapshot") ||
		!strings.Contains(logs, "routing board restored from its snapshot") {
		t.Fatalf("the restarted node did not restore the snapshots (connectors, routing):\n%s", logs)
	}
	sms = register(t, s, "sms", smsConnectorKey)
	if got := receiveChat(t, sms); got.Text != "It left this morning" || got.ConversationID != conv {
		t.Fatalf("after the restart the connector got %+v", got)
	}
	again := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550009", "text": "Thanks"}).Data)
	if again.ConversationID != conv {
		t.Fatalf("after the restart the customer's SMS went to %s, not its active %s", again.ConversationID, conv)
	}
}
