package e2e

import (
	"net/http"
	"testing"
	"time"
)

// outbound is a message a connector receives.
type outbound struct {
	message
	RefID   string `json:"refId"`
	Channel string `json:"channel"`
}

// register connects and registers a connector for channel.
func register(t *testing.T, s *server, channel, key string) *wsClient {
	t.Helper()
	c := dialAs(t, s, channel+"-connector", key)
	c.mustCall("registerConnector", map[string]any{"id": channel, "name": channel + " gateway", "channel": channel})
	return c
}

// receive returns the next message delivered to the connector, acknowledging
// it when ack is true.
func receive(t *testing.T, c *wsClient, ack bool) outbound {
	t.Helper()
	m := decode[outbound](t, c.next("messageArrived").Data)
	if ack {
		c.mustCall("messageDelivered", map[string]any{"id": m.ID})
	}
	return m
}

// receiveChat acknowledges every message delivered to the connector up to
// the next ChatMessage, and returns that one (acknowledged too).
func receiveChat(t *testing.T, c *wsClient) outbound {
	t.Helper()
	for {
		if m := receive(t, c, true); m.Type == "ChatMessage" {
			return m
		}
	}
}

func TestConnector(t *testing.T) {
	s := startServer(t, t.TempDir())
	sms := dialAs(t, s, "sms", smsConnectorKey)
	if f := sms.call("registerConnector", map[string]any{"id": "gateway", "name": "SMS", "channel": "sms"}); f.Event != "error" || decode[errorBody](t, f.Data).Field != "id" {
		t.Fatalf("registering with an id that is not the channel answered %s %s", f.Event, f.Data)
	}
	sms.mustCall("registerConnector", map[string]any{"id": "sms", "name": "SMS gateway", "channel": "sms"})

	// An SMS from a new customer starts a conversation.
	ack := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550001", "text": "Hi, my parcel is late"}).Data)
	if ack.ConversationID == "" || ack.Sequence == nil || ack.From.Role != "customer" {
		t.Fatalf("inbound ack = %+v", ack)
	}
	conv := ack.ConversationID
	again := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550001", "text": "Order 42"}).Data)
	if again.ConversationID != conv {
		t.Fatalf("the customer's second SMS went to %s, not the active %s", again.ConversationID, conv)
	}

	// The agent sees it and answers; the connector gets the answer for the
	// customer's number, the whisper never.
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "name": "Grace"})
	info := decode[conversationInfo](t, agent.next("conversationInfo").Data)
	if info.Conversation.Channel != "sms" || !hasText(info.Messages, "Hi, my parcel is late") {
		t.Fatalf("agent's conversationInfo = %+v", info)
	}
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "internal note", "tag": "whisper"})
	reply := decode[message](t, agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "It ships today"}).Data)
	got := receiveChat(t, sms)
	if got.Text != "It ships today" || got.RefID != "+15550001" || got.ConversationID != conv || got.ID != reply.ID || got.Channel != "sms" {
		t.Fatalf("connector got %+v", got)
	}
	sms.expectNone(300*time.Millisecond, isChat("internal note"))
	var status struct{ Status, Connector string }
	if code := s.do(t, "GET", "/api/conversations/"+conv+"/messages/"+reply.ID+"/delivery", nil, &status); code != http.StatusOK || status.Status != "delivered" {
		t.Fatalf("delivery status: %d %+v", code, status)
	}

	// A third party sends to another customer: a conversation starts and the
	// connector delivers the message.
	var sent struct{ ID, ConversationID string }
	if code := s.doAs(t, senderKey, "POST", "/api/channels/sms/messages", map[string]any{"refId": "+15550002", "text": "Your code is 1234", "idempotencyKey": "k1"}, &sent); code != http.StatusAccepted || sent.ID == "" {
		t.Fatalf("third-party send: %d %+v", code, sent)
	}
	var dup struct{ ID string }
	s.doAs(t, senderKey, "POST", "/api/channels/sms/messages", map[string]any{"refId": "+15550002", "text": "Your code is 1234", "idempotencyKey": "k1"}, &dup)
	if dup.ID != sent.ID {
		t.Fatalf("a retried send with the same idempotency key stored a new message: %s vs %s", dup.ID, sent.ID)
	}
	if got := receiveChat(t, sms); got.Text != "Your code is 1234" || got.RefID != "+15550002" {
		t.Fatalf("connector got %+v", got)
	}
	sms.expectNone(300*time.Millisecond, isChat("Your code is 1234"))

	var e errorBody
	if code := s.doAs(t, senderKey, "POST", "/api/channels/pigeon/messages", map[string]any{"refId": "x", "text": "hi"}, &e); code != http.StatusNotFound || e.Code != "channel_not_found" {
		t.Fatalf("unknown channel: %d %+v", code, e)
	}
	if code := s.doAs(t, senderKey, "POST", "/api/channels/sms/messages", map[string]any{"text": "no refId"}, &e); code != http.StatusBadRequest {
		t.Fatalf("missing refId: %d %+v", code, e)
	}
	if code := s.doAs(t, senderKey, "POST", "/api/channels/sms/messages", map[string]any{"refId": "x"}, &e); code != http.StatusBadRequest {
		t.Fatalf("missing text: %d %+v", code, e)
	}
	if code := s.doAs(t, "", "POST", "/api/channels/sms/messages", map[string]any{"refId": "x", "text": "hi"}, &e); code != http.StatusUnauthorized {
		t.Fatalf("anonymous send: %d %+v", code, e)
	}

	// A registered channel becomes valid for init.
	if code := s.doAs(t, "", "POST", "/api/customer/init", map[string]any{"channel": "whatsapp", "refId": "r"}, &e); code != http.StatusBadRequest {
		t.Fatalf("init on an unregistered channel: %d", code)
	}
	register(t, s, "whatsapp", waConnectorKey)
	startChat(t, s, map[string]any{"channel": "whatsapp", "refId": "r"})
}

// TestConnectorOutage checks at-least-once delivery across connector
// outages and a crash of Parley: nothing is lost, and nothing acknowledged
// is sent again.
func TestConnectorOutage(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	texts := []string{"one", "two", "three", "four"}
	for _, text := range texts {
		if code := s.doAs(t, senderKey, "POST", "/api/channels/sms/messages", map[string]any{"refId": "+15550003", "text": text}, nil); code != http.StatusAccepted {
			t.Fatalf("send %q while no connector is connected: %d", text, code)
		}
	}

	// The connector comes: it gets the waiting messages in order; it
	// acknowledges the first only, then Parley is killed.
	sms := register(t, s, "sms", smsConnectorKey)
	if got := receiveChat(t, sms); got.Text != "one" {
		t.Fatalf("first delivery = %q, want one", got.Text)
	}
	if got := receive(t, sms, false); got.Text != "two" {
		t.Fatalf("second delivery = %q, want two", got.Text)
	}
	s.kill()

	// After the restart the connector gets everything not acknowledged, in
	// order, and never "one" again.
	s2 := startServer(t, dataDir)
	sms2 := register(t, s2, "sms", smsConnectorKey)
	var rest []string
	for len(rest) < 3 {
		m := receive(t, sms2, true)
		if m.Type != "ChatMessage" {
			continue
		}
		if m.Text == "one" {
			t.Fatal("an acknowledged message was delivered again")
		}
		rest = append(rest, m.Text)
	}
	if rest[0] != "two" || rest[1] != "three" || rest[2] != "four" {
		t.Fatalf("after the restart the connector got %v, want two three four", rest)
	}
	sms2.expectNone(500*time.Millisecond, func(f frame) bool { return f.Event == "messageArrived" })

	// A connector that drops without acknowledging gets it again on reconnect.
	if code := s2.doAs(t, senderKey, "POST", "/api/channels/sms/messages", map[string]any{"refId": "+15550003", "text": "five"}, nil); code != http.StatusAccepted {
		t.Fatal("send five")
	}
	if got := receiveChatNoAck(t, sms2); got.Text != "five" {
		t.Fatalf("got %q, want five", got.Text)
	}
	sms2.conn.Close()
	sms3 := register(t, s2, "sms", smsConnectorKey)
	if got := receiveChat(t, sms3); got.Text != "five" {
		t.Fatalf("after the connector reconnected it got %q, want five again", got.Text)
	}
}

// receiveChatNoAck acknowledges everything up to the next ChatMessage and
// returns that one unacknowledged.
func receiveChatNoAck(t *testing.T, c *wsClient) outbound {
	t.Helper()
	for {
		m := receive(t, c, false)
		if m.Type == "ChatMessage" {
			return m
		}
		c.mustCall("messageDelivered", map[string]any{"id": m.ID})
	}
}

func hasText(ms []message, text string) bool {
	for _, m := range ms {
		if m.Text == text {
			return true
		}
	}
	return false
}
