package e2e

import (
	"net/http"
	"testing"
	"time"
)

// routingScene is the cast of TestRoutingFlow: one server, a supervisor,
// two agents and a customer in one conversation.
type routingScene struct {
	t                          *testing.T
	s                          *server
	supervisor, agent1, agent2 *wsClient
	customer                   *wsClient
	chat                       initAnswer
	conv                       string
}

// TestRoutingFlow: a customer is queued by subject and assigned to the
// ready agent of that queue; the agent transfers it to another queue's
// agent; a bot is added; the second agent's presence lapses and the
// conversation comes back to the first; a supervisor watches the queues.
func TestRoutingFlow(t *testing.T) {
	sc := &routingScene{t: t, s: startServer(t, t.TempDir(), append(routingKeysFile(t), "--queues", "billing,tech", "--presence-grace", "1s", "--agent-capacity", "2")...)}
	sc.supervisor = dialAs(t, sc.s, "supervisor", supervisorKey)
	sc.supervisor.mustCall("watchQueues", map[string]any{})
	sc.agentGetsReady()
	sc.customerIsAssigned()
	sc.badTransfersStoreNothing()
	sc.transferToAnotherQueue()
	sc.staffView()
	sc.botIsAdded()
	sc.presenceLapses()
	sc.endFreesCapacity()
}

func (sc *routingScene) agentGetsReady() {
	t := sc.t
	sc.agent1 = dialAs(t, sc.s, "agent1", agentKey)
	mustError(t, sc.agent1.call("agentState", map[string]any{"state": "ready", "queues": []string{"nope"}}), "unknown_queue")
	mustError(t, sc.agent1.call("agentState", map[string]any{"state": "dancing"}), "invalid_request")
	mustError(t, sc.agent1.call("agentState", map[string]any{"state": "ready", "queues": []string{}}), "invalid_request")
	mustError(t, sc.agent1.call("agentState", map[string]any{"state": "ready", "capacity": 101}), "invalid_request")
	ack := ready(t, sc.agent1, map[string]any{"queues": []string{"Billing"}})
	if ack.AgentID != "agent-1" || ack.State != "ready" || len(ack.Queues) != 1 || ack.Queues[0] != "billing" || ack.Capacity != 2 || len(ack.Assigned) != 0 {
		t.Fatalf("agentState ack = %+v", ack)
	}
}

// customerIsAssigned: the customer is queued by subject and told so; the
// agent is assigned and joined.
func (sc *routingScene) customerIsAssigned() {
	t := sc.t
	sc.chat = startChat(t, sc.s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web", "subject": "BILLING"})
	sc.conv = sc.chat.ConversationID
	got := decode[assigned](t, sc.agent1.next("conversationAssigned").Data)
	if got.ConversationID != sc.conv || got.Queue != "billing" || got.Subject != "BILLING" || got.Channel != "web" || got.Customer.Name != "Ada" || got.WaitedMs < 0 {
		t.Fatalf("conversationAssigned = %+v", got)
	}
	agentInfo := decode[conversationInfo](t, sc.agent1.next("conversationInfo").Data)
	if agentInfo.Conversation.ID != sc.conv || agentInfo.Role != "agent" {
		t.Fatalf("agent's conversationInfo = %+v", agentInfo)
	}
	customer, info := joinCustomer(t, sc.s, sc.chat)
	sc.customer = customer
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
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "conversationId": sc.conv, "text": "anyone there?"})
	if m := nextChat(t, sc.agent1); m.Text != "anyone there?" {
		t.Fatalf("agent got %+v", m)
	}
	mustError(t, customer.call("agentState", map[string]any{"state": "ready"}), "forbidden")
}

func (sc *routingScene) handOff(c *wsClient, info map[string]any) frame {
	return c.call("sendMessage", map[string]any{"type": "ActivityMessage", "activityType": "handOff", "conversationId": sc.conv, "info": info})
}

func (sc *routingScene) badTransfersStoreNothing() {
	t := sc.t
	before := eventCount(t, sc.s, sc.conv)
	mustError(t, sc.handOff(sc.agent1, map[string]any{"queue": "nope"}), "unknown_queue")
	mustError(t, sc.handOff(sc.agent1, map[string]any{"agentId": "agent-2"}), "agent_unavailable")
	if after := eventCount(t, sc.s, sc.conv); after != before {
		t.Fatalf("refused handOffs stored %d events", after-before)
	}
}

// transferToAnotherQueue: a transfer to the tech queue goes to agent-2;
// agent-1 is removed.
func (sc *routingScene) transferToAnotherQueue() {
	t := sc.t
	sc.agent2 = dialAs(t, sc.s, "agent2", agent2Key)
	ready(t, sc.agent2, map[string]any{"queues": []string{"tech"}, "capacity": 1})
	if f := sc.handOff(sc.agent1, map[string]any{"queue": "tech"}); f.Event != "ack" {
		t.Fatalf("handOff answered %s %s", f.Event, f.Data)
	}
	if got := decode[assigned](t, sc.agent2.next("conversationAssigned").Data); got.ConversationID != sc.conv || got.Queue != "tech" {
		t.Fatalf("agent-2's conversationAssigned = %+v", got)
	}
	sc.agent2.next("conversationInfo")
	if got := decode[map[string]string](t, sc.agent1.next("conversationUnassigned").Data); got["conversationId"] != sc.conv {
		t.Fatalf("conversationUnassigned = %v", got)
	}
	if removed := nextActivity(t, sc.customer, "participantRemoved", 10*time.Second); infoOf(t, removed)["id"] != "agent-1" {
		t.Fatalf("participantRemoved info = %s", removed.Info)
	}
	mustError(t, sc.agent1.call("sendMessage", map[string]any{"type": "ChatMessage", "conversationId": sc.conv, "text": "still mine?"}), "not_a_participant")
}

func (sc *routingScene) agents() []agentView {
	var agents struct{ Agents []agentView }
	sc.s.do(sc.t, "GET", "/api/agents", nil, &agents)
	return agents.Agents
}

func (sc *routingScene) staffView() {
	t, s := sc.t, sc.s
	var queues struct{ Queues []queueView }
	if code := s.do(t, "GET", "/api/queues", nil, &queues); code != http.StatusOK || len(queues.Queues) != 3 {
		t.Fatalf("GET /api/queues: %d %+v", code, queues)
	}
	if agents := sc.agents(); len(agents) != 2 || agents[1].AgentID != "agent-2" || len(agents[1].Assigned) != 1 || len(agents[0].Assigned) != 0 {
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
	if len(list.Conversations) != 1 || list.Conversations[0].ID != sc.conv || list.Conversations[0].Agents[0] != "agent-2" {
		t.Fatalf("GET /api/conversations = %+v", list)
	}
	var bad errorBody
	if code := s.do(t, "GET", "/api/conversations?status=lost", nil, &bad); code != http.StatusBadRequest || bad.Code != "invalid_request" {
		t.Fatalf("bad status: %d %+v", code, bad)
	}
	if code := s.doAs(t, sc.chat.Token, "GET", "/api/queues", nil, &bad); code != http.StatusForbidden {
		t.Fatalf("a customer read the queues: %d", code)
	}
}

// botIsAdded: a bot added by staff joins with the connection it has open.
func (sc *routingScene) botIsAdded() {
	t := sc.t
	bot := dialAs(t, sc.s, "bot", botKey)
	sc.agent2.mustCall("sendMessage", map[string]any{"type": "ActivityMessage", "activityType": "participantAdded", "conversationId": sc.conv,
		"info": map[string]any{"id": "bot-1", "name": "Botty", "role": "bot"}})
	if botInfo := decode[conversationInfo](t, bot.next("conversationInfo").Data); botInfo.Conversation.ID != sc.conv || botInfo.Role != "bot" {
		t.Fatalf("bot's conversationInfo = %+v", botInfo)
	}
}

// presenceLapses: agent-2 goes away; after the grace its conversation is
// queued again and, nobody else being eligible, goes back to agent-1.
func (sc *routingScene) presenceLapses() {
	t := sc.t
	ready(t, sc.agent1, map[string]any{})
	sc.agent2.conn.Close()
	if got := decode[assigned](t, sc.agent1.next("conversationAssigned").Data); got.ConversationID != sc.conv {
		t.Fatalf("agent-1's second conversationAssigned = %+v", got)
	}
	sc.agent1.next("conversationInfo")
	if agents := sc.agents(); agents[1].State != "notReady" {
		t.Fatalf("agent-2 after the grace = %+v", agents[1])
	}
}

// endFreesCapacity: ending frees the agent's capacity; the supervisor saw
// the queues change.
func (sc *routingScene) endFreesCapacity() {
	t := sc.t
	sc.customer.mustCall("endConversation", map[string]any{"conversationId": sc.conv})
	deadline := time.Now().Add(5 * time.Second)
	for len(sc.agents()[0].Assigned) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("agent-1 still holds %v after the end", sc.agents()[0].Assigned)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, ok := sc.supervisor.take(func(f frame) bool { return f.Event == "queueUpdated" }, 5*time.Second); !ok {
		t.Fatalf("the supervisor got no queueUpdated (queued %s)", sc.supervisor.queued())
	}
}
