package e2e

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRoutingFlow: a customer is queued by subject and assigned to the
// ready agent of that queue; the agent transfers it to another queue's
// agent; a bot is added; the second agent's presence lapses and the
// conversation comes back to the first; a supervisor watches the queues.
func TestRoutingFlow(t *testing.T) {
	s := startServer(t, t.TempDir(), append(routingKeysFile(t), "--queues", "billing,tech", "--presence-grace", "1s", "--agent-capacity", "2")...)

	supervisor := dialAs(t, s, "supervisor", supervisorKey)
	supervisor.mustCall("watchQueues", map[string]any{})

	agent1 := dialAs(t, s, "agent1", agentKey)
	mustError(t, agent1.call("agentState", map[string]any{"state": "ready", "queues": []string{"nope"}}), "unknown_queue")
	mustError(t, agent1.call("agentState", map[string]any{"state": "dancing"}), "invalid_request")
	mustError(t, agent1.call("agentState", map[string]any{"state": "ready", "queues": []string{}}), "invalid_request")
	mustError(t, agent1.call("agentState", map[string]any{"state": "ready", "capacity": 101}), "invalid_request")
	ack := ready(t, agent1, map[string]any{"queues": []string{"Billing"}})
	if ack.AgentID != "agent-1" || ack.State != "ready" || len(ack.Queues) != 1 || ack.Queues[0] != "billing" || ack.Capacity != 2 || len(ack.Assigned) != 0 {
		t.Fatalf("agentState ack = %+v", ack)
	}

	// The customer is queued by subject and told so; the agent is assigned.
	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web", "subject": "BILLING"})
	conv := chat.ConversationID
	got := decode[assigned](t, agent1.next("conversationAssigned").Data)
	if got.ConversationID != conv || got.Queue != "billing" || got.Subject != "BILLING" || got.Channel != "web" || got.Customer.Name != "Ada" || got.WaitedMs < 0 {
		t.Fatalf("conversationAssigned = %+v", got)
	}
	agentInfo := decode[conversationInfo](t, agent1.next("conversationInfo").Data)
	if agentInfo.Conversation.ID != conv || agentInfo.Role != "agent" {
		t.Fatalf("agent's conversationInfo = %+v", agentInfo)
	}
	customer, info := joinCustomer(t, s, chat)
	if !hasActivity(info.Messages, "handOff") {
		t.Fatalf("customer's view lacks the handOff: %+v", info.Messages)
	}
	for _, m := range info.Messages {
		if m.ActivityType == "handOff" && infoOf(t, m)["queue"] != "billing" {
			t.Fatalf("handOff info = %s", m.Info)
		}
		if m.ActivityType == "noAgentAvailable" {
			t.Fatalf("an agent was ready, yet the customer was told none is: %s", m.Info)
		}
	}
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "conversationId": conv, "text": "anyone there?"})
	if m := nextChat(t, agent1); m.Text != "anyone there?" {
		t.Fatalf("agent got %+v", m)
	}
	mustError(t, customer.call("agentState", map[string]any{"state": "ready"}), "forbidden")

	// Bad transfers are refused and store nothing.
	before := eventCount(t, s, conv)
	badQueue := map[string]any{"type": "ActivityMessage", "activityType": "handOff", "conversationId": conv, "info": map[string]any{"queue": "nope"}}
	mustError(t, agent1.call("sendMessage", badQueue), "unknown_queue")
	badAgent := map[string]any{"type": "ActivityMessage", "activityType": "handOff", "conversationId": conv, "info": map[string]any{"agentId": "agent-2"}}
	mustError(t, agent1.call("sendMessage", badAgent), "agent_unavailable")
	if after := eventCount(t, s, conv); after != before {
		t.Fatalf("refused handOffs stored %d events", after-before)
	}

	// A transfer to the tech queue goes to agent-2; agent-1 is removed.
	agent2 := dialAs(t, s, "agent2", agent2Key)
	ready(t, agent2, map[string]any{"queues": []string{"tech"}, "capacity": 1})
	agent1.mustCall("sendMessage", map[string]any{"type": "ActivityMessage", "activityType": "handOff", "conversationId": conv, "info": map[string]any{"queue": "tech"}})
	if got := decode[assigned](t, agent2.next("conversationAssigned").Data); got.ConversationID != conv || got.Queue != "tech" {
		t.Fatalf("agent-2's conversationAssigned = %+v", got)
	}
	agent2.next("conversationInfo")
	if got := decode[map[string]string](t, agent1.next("conversationUnassigned").Data); got["conversationId"] != conv {
		t.Fatalf("conversationUnassigned = %v", got)
	}
	if removed := nextActivity(t, customer, "participantRemoved", 10*time.Second); infoOf(t, removed)["id"] != "agent-1" {
		t.Fatalf("participantRemoved info = %s", removed.Info)
	}
	mustError(t, agent1.call("sendMessage", map[string]any{"type": "ChatMessage", "conversationId": conv, "text": "still mine?"}), "not_a_participant")

	// The staff's view.
	var queues struct{ Queues []queueView }
	if code := s.do(t, "GET", "/api/queues", nil, &queues); code != http.StatusOK || len(queues.Queues) != 3 {
		t.Fatalf("GET /api/queues: %d %+v", code, queues)
	}
	var agents struct{ Agents []agentView }
	s.do(t, "GET", "/api/agents", nil, &agents)
	if len(agents.Agents) != 2 || agents.Agents[1].AgentID != "agent-2" || len(agents.Agents[1].Assigned) != 1 || len(agents.Agents[0].Assigned) != 0 {
		t.Fatalf("GET /api/agents = %+v", agents)
	}
	var list struct {
		Conversations []struct {
			ID, Status, Queue string
			Agents            []string
		}
		Next string
	}
	s.do(t, "GET", "/api/conversations?status=active&queue=tech", nil, &list)
	if len(list.Conversations) != 1 || list.Conversations[0].ID != conv || list.Conversations[0].Agents[0] != "agent-2" {
		t.Fatalf("GET /api/conversations = %+v", list)
	}
	var bad errorBody
	if code := s.do(t, "GET", "/api/conversations?status=lost", nil, &bad); code != http.StatusBadRequest || bad.Code != "invalid_request" {
		t.Fatalf("bad status: %d %+v", code, bad)
	}
	if code := s.doAs(t, chat.Token, "GET", "/api/queues", nil, &bad); code != http.StatusForbidden {
		t.Fatalf("a customer read the queues: %d", code)
	}

	// A bot added by staff joins with the connection it has open.
	bot := dialAs(t, s, "bot", botKey)
	agent2.mustCall("sendMessage", map[string]any{"type": "ActivityMessage", "activityType": "participantAdded", "conversationId": conv,
		"info": map[string]any{"id": "bot-1", "name": "Botty", "role": "bot"}})
	if botInfo := decode[conversationInfo](t, bot.next("conversationInfo").Data); botInfo.Conversation.ID != conv || botInfo.Role != "bot" {
		t.Fatalf("bot's conversationInfo = %+v", botInfo)
	}

	// agent-2 goes away: after the grace its conversation is queued again
	// and, nobody else being eligible, goes back to agent-1.
	ready(t, agent1, map[string]any{})
	agent2.conn.Close()
	if got := decode[assigned](t, agent1.next("conversationAssigned").Data); got.ConversationID != conv {
		t.Fatalf("agent-1's second conversationAssigned = %+v", got)
	}
	agent1.next("conversationInfo")
	s.do(t, "GET", "/api/agents", nil, &agents)
	if agents.Agents[1].State != "notReady" {
		t.Fatalf("agent-2 after the grace = %+v", agents.Agents[1])
	}

	// Ending frees the agent's capacity.
	customer.mustCall("endConversation", map[string]any{"conversationId": conv})
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.do(t, "GET", "/api/agents", nil, &agents)
		if len(agents.Agents[0].Assigned) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent-1 still holds %v after the end", agents.Agents[0].Assigned)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, ok := supervisor.take(func(f frame) bool { return f.Event == "queueUpdated" }, 5*time.Second); !ok {
		t.Fatalf("the supervisor got no queueUpdated (queued %s)", supervisor.queued())
	}
}

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
