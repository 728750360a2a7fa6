package e2e

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRoutingTimers: with no agent, the customer is told none is available
// and the conversation ends after --max-queue-wait; an assigned one ends
// after --inactivity-timeout, even across a crash and restart.
func TestRoutingTimers(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "--max-queue-wait", "1s")
	chat := startChat(t, s, map[string]any{"firstName": "Bo", "email": "bo@example.com", "channel": "web"})
	customer, info := joinCustomer(t, s, chat)
	for _, kind := range []string{"handOff", "noAgentAvailable"} {
		if !hasActivity(info.Messages, kind) {
			t.Fatalf("customer's view lacks %s: %+v", kind, info.Messages)
		}
	}
	end := nextActivity(t, customer, "endOfConversation", 5*time.Second)
	if infoOf(t, end)["reason"] != "noAgentAvailable" {
		t.Fatalf("end info = %s", end.Info)
	}

	s.stop()
	s = startServer(t, dir, "--inactivity-timeout", "2s")
	agent := dialAs(t, s, "agent", agentKey)
	ready(t, agent, map[string]any{})
	chat = startChat(t, s, map[string]any{"firstName": "Cy", "email": "cy@example.com", "channel": "web"})
	agent.next("conversationAssigned")
	s.kill()
	s = startServer(t, dir, "--inactivity-timeout", "2s")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page eventsPage
		s.do(t, "GET", "/api/conversations/"+chat.ConversationID+"/events", nil, &page)
		var ends []string
		for _, e := range page.Events {
			if e.Type == "ActivityMessage" && strings.Contains(string(e.Data), `"endOfConversation"`) {
				ends = append(ends, string(e.Data))
			}
		}
		if len(ends) > 1 || len(ends) == 1 && !strings.Contains(ends[0], `"reason":"inactivity"`) {
			t.Fatalf("endings = %v, want one for inactivity", ends)
		}
		if len(ends) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the inactivity timer did not fire after the restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRoutingRefusesBadQueues: a bad queue name stops parley serve at once,
// with a message that names it.
func TestRoutingRefusesBadQueues(t *testing.T) {
	for _, args := range [][]string{{"--queues", "billing,bad name"}, {"--queues", "tech,Tech"}, {"--default-queue", ""}, {"--agent-capacity", "101"}} {
		cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--auth", "off"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("parley serve %v started", args)
		}
		if !strings.Contains(string(out), "queue") && !strings.Contains(string(out), "capacity") {
			t.Fatalf("parley serve %v said %s", args, out)
		}
	}
}

// TestRoutingStartsOnTheCustomersWord: a connector's inbound message is
// routed at once; a conversation a third party started is routed only
// once the customer writes.
func TestRoutingStartsOnTheCustomersWord(t *testing.T) {
	s := startServer(t, t.TempDir())
	agent := dialAs(t, s, "agent", agentKey)
	ready(t, agent, map[string]any{})
	sms := register(t, s, "sms", smsConnectorKey)

	in := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550101", "text": "Hello?"}).Data)
	if got := decode[assigned](t, agent.next("conversationAssigned").Data); got.ConversationID != in.ConversationID || got.Channel != "sms" {
		t.Fatalf("conversationAssigned = %+v, want conversation %s on sms", got, in.ConversationID)
	}

	var sent struct{ ID, ConversationID string }
	if code := s.doAs(t, senderKey, "POST", "/api/channels/sms/messages", map[string]any{"refId": "+15550102", "text": "Your parcel ships today"}, &sent); code != http.StatusAccepted {
		t.Fatalf("third-party send: %d", code)
	}
	agent.expectNone(time.Second, func(f frame) bool { return f.Event == "conversationAssigned" })
	reply := decode[message](t, sms.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms", "refId": "+15550102", "text": "Thanks, when exactly?"}).Data)
	if got := decode[assigned](t, agent.next("conversationAssigned").Data); got.ConversationID != reply.ConversationID {
		t.Fatalf("conversationAssigned = %+v, want %s", got, reply.ConversationID)
	}
}

// TestRoutingPresenceSurvivesAReconnect: an agent whose connection drops
// and comes back within the grace stays ready and keeps its conversation.
func TestRoutingPresenceSurvivesAReconnect(t *testing.T) {
	s := startServer(t, t.TempDir(), "--presence-grace", "1s")
	agent := dialAs(t, s, "agent", agentKey)
	ready(t, agent, map[string]any{})
	chat := startChat(t, s, map[string]any{"firstName": "Di", "email": "di@example.com", "channel": "web"})
	agent.next("conversationAssigned")
	agent.conn.Close()
	dialAs(t, s, "agent again", agentKey)
	time.Sleep(2500 * time.Millisecond)
	var agents struct{ Agents []agentView }
	s.do(t, "GET", "/api/agents", nil, &agents)
	if len(agents.Agents) != 1 || agents.Agents[0].State != "ready" || len(agents.Agents[0].Assigned) != 1 || agents.Agents[0].Assigned[0] != chat.ConversationID {
		t.Fatalf("after a reconnect within the grace: %+v", agents)
	}
}
