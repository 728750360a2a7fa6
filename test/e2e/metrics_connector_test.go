package e2e

import (
	"testing"
)

// TestConnectorMetrics: a message delivered through a connector moves the
// acknowledgement latency histogram, and the channel's backlog is
// exported.
func TestConnectorMetrics(t *testing.T) {
	metricsAddr := freeAddr(t)
	s := startServer(t, t.TempDir(), "--metrics-addr", metricsAddr)
	url := "http://" + metricsAddr + "/metrics"
	sms := dialAs(t, s, "sms", smsConnectorKey)
	sms.mustCall("registerConnector", map[string]any{"id": "sms", "name": "SMS gateway", "channel": "sms"})
	conv := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550001", "text": "Hi"}).Data).ConversationID
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "name": "Grace"})
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Hello from the agent"})
	if got := receiveChat(t, sms); got.Text != "Hello from the agent" {
		t.Fatalf("connector got %+v", got)
	}
	eventually(t, "an acknowledgement observed", func() bool {
		return scrape(t, url, "")[`parley_connector_ack_latency_seconds_count{channel="sms"}`] >= 1
	})
	m := scrape(t, url, "")
	if _, ok := m[`parley_connector_backlog_conversations{channel="sms"}`]; !ok {
		t.Errorf("no backlog exported for channel sms")
	}
}
