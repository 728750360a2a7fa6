package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// startNodes starts one standalone EventStoreDB test server and n Parley
// nodes on it, each with a data directory of its own.
func startNodes(t *testing.T, n int, args ...string) (*esdbProcess, []*server) {
	t.Helper()
	db := startESDB(t)
	nodes := make([]*server, n)
	for i := range nodes {
		nodes[i] = startServer(t, t.TempDir(), append([]string{"--store", db.url}, args...)...)
	}
	return db, nodes
}

// TestMultiNodeChat runs a chat across two Parley nodes on one EventStoreDB:
// the customer and a supervisor on node A, the agent on node B. Each node
// learns of the other's appends through its own subscription to the store.
func TestMultiNodeChat(t *testing.T) {
	_, nodes := startNodes(t, 2)
	a, b := nodes[0], nodes[1]
	for _, s := range nodes {
		if code := s.do(t, "GET", "/readyz", nil, nil); code != http.StatusOK {
			t.Fatalf("readyz of %s on EventStoreDB: %d", s.addr, code)
		}
	}
	chat := startChat(t, a, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	conv := chat.ConversationID

	customer := join(t, dial(t, a, "customer"), conv, chat.Participant.ID, "Ada", "customer", chat.Token)
	// Node B never saw the conversation start: it reads it from the store.
	agent := join(t, dialAs(t, b, "agent", agentKey), conv, "agent-1", "Grace", "agent", "")
	customer.until(t, "the agent's participantJoined", func(m message) bool {
		return m.ActivityType == "participantJoined" && m.From.ID == "agent-1"
	})
	supervisor := join(t, dialAs(t, a, "supervisor", supervisorKey), conv, "sup-1", "Sam", "supervisor", "")
	agent.until(t, "the supervisor's participantJoined", withActivity("participantJoined"))

	// Messages cross between the nodes both ways, in real time.
	customer.say(t, "Hello from node A", nil)
	agent.until(t, "the customer's hello", withText("Hello from node A"))
	supervisor.until(t, "the customer's hello", withText("Hello from node A"))
	agent.say(t, "Hello from node B", nil)
	customer.until(t, "the agent's hello", withText("Hello from node B"))
	var worst time.Duration
	for i := range 5 {
		start := time.Now()
		q, r := fmt.Sprintf("question %d", i), fmt.Sprintf("answer %d", i)
		customer.say(t, q, nil)
		agent.until(t, q, withText(q))
		agent.say(t, r, nil)
		customer.until(t, r, withText(r))
		worst = max(worst, time.Since(start))
	}
	t.Logf("slowest question-and-answer round trip between the nodes: %v", worst)

	// Whispers cross nodes to staff and never reach the customer.
	agent.say(t, "VIP customer", map[string]any{"tag": "whisper"})
	supervisor.until(t, "the agent's whisper", withText("VIP customer"))
	supervisor.say(t, "Offer the upgrade", map[string]any{"tag": "whisper"})
	agent.until(t, "the supervisor's whisper", withText("Offer the upgrade"))
	supervisor.say(t, "Thanks for waiting", nil)

	end := decode[message](t, agent.c.mustCall("endConversation", map[string]any{"conversationId": conv}).Data)
	agent.sent[end.ID] = *end.Sequence
	customer.until(t, "endOfConversation", withActivity("endOfConversation"))
	supervisor.until(t, "endOfConversation", withActivity("endOfConversation"))
	if f := customer.c.call("sendMessage", map[string]any{"type": "ChatMessage", "text": "too late"}); decode[errorBody](t, f.Data).Code != "conversation_ended" {
		t.Fatalf("send after the end on the other node answered %s %s", f.Event, f.Data)
	}

	// Both nodes serve the same history, which is exactly what the members
	// stored, in the order their acks gave; each member saw it in that order.
	fromA, rawA := history(t, a, conv)
	_, rawB := history(t, b, conv)
	if rawA != rawB {
		t.Fatalf("the nodes serve different histories:\nA %s\nB %s", rawA, rawB)
	}
	checkStored(t, fromA, customer, agent, supervisor)
	for _, m := range []*member{customer, agent, supervisor} {
		checkDelivered(t, m, fromA)
	}
	for _, m := range customer.seen {
		if m.Tag == "whisper" {
			t.Fatalf("the customer received a whisper: %+v", m)
		}
	}
}

// TestReadyzOnEventStoreDB checks that /readyz reports the EventStoreDB
// store: 503 while the node is down, 200 again once it is back.
func TestReadyzOnEventStoreDB(t *testing.T) {
	db, nodes := startNodes(t, 1)
	s := nodes[0]
	waitReady := func(want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var e errorBody
			code := s.do(t, "GET", "/readyz", nil, &e)
			if code == want && (want == http.StatusOK || e.Code == "store_unavailable") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("readyz answered %d %+v for 20s, want %d", code, e, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitReady(http.StatusOK)
	db.stop()
	waitReady(http.StatusServiceUnavailable)
	startESDBAt(t, db.addr)
	waitReady(http.StatusOK)
}
