package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

type conversationRow struct {
	ID             string      `json:"id"`
	Status         string      `json:"status"`
	Queue          string      `json:"queue"`
	Subject        string      `json:"subject"`
	Channel        string      `json:"channel"`
	Customer       participant `json:"customer"`
	Agents         []string    `json:"agents"`
	StartedAt      string      `json:"startedAt"`
	LastActivityAt string      `json:"lastActivityAt"`
	WaitingSince   string      `json:"waitingSince"`
}

type conversationList struct {
	Conversations []conversationRow `json:"conversations"`
	Next          string            `json:"next"`
}

// listAll follows GET /api/conversations?query page by page and returns
// every row, failing on a page larger than limit.
func listAll(t *testing.T, s *server, query url.Values, limit int) []conversationRow {
	t.Helper()
	var rows []conversationRow
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatalf("more than 20 pages for %s", query.Encode())
		}
		var page conversationList
		if code := s.do(t, "GET", "/api/conversations?"+query.Encode(), nil, &page); code != http.StatusOK {
			t.Fatalf("GET /api/conversations?%s: %d", query.Encode(), code)
		}
		if len(page.Conversations) > limit {
			t.Fatalf("a page of %d rows with limit %d", len(page.Conversations), limit)
		}
		rows = append(rows, page.Conversations...)
		if page.Next == "" {
			return rows
		}
		query.Set("after", page.Next)
	}
}

func idsOf(rows []conversationRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	slices.Sort(ids)
	return ids
}

func sortedIDs(ids ...string) []string { slices.Sort(ids); return ids }

// TestStaffConversationList: GET /api/conversations pages newest activity
// first with limit and after/next, and filters by status, queue, agent and
// channel, over HTTP against the real server.
func TestStaffConversationList(t *testing.T) {
	s := startServer(t, t.TempDir(), "--queues", "billing")
	agent := dialAs(t, s, "agent1", agentKey)
	ready(t, agent, map[string]any{"queues": []string{"billing"}, "capacity": 1})
	chat := func(n, subject, channel string) string {
		return startChat(t, s, map[string]any{"firstName": "Cust" + n, "email": "c" + n + "@example.com", "channel": channel, "subject": subject}).ConversationID
	}
	c0 := chat("0", "billing", "web")
	if got := decode[assigned](t, agent.next("conversationAssigned").Data); got.ConversationID != c0 {
		t.Fatalf("assigned %+v, want %s", got, c0)
	}
	c1, c2, c3, c4 := chat("1", "billing", "sms"), chat("2", "", "web"), chat("3", "", "sms"), chat("4", "Billing", "web")

	all := listAll(t, s, url.Values{"limit": {"2"}}, 2)
	if got := idsOf(all); !slices.Equal(got, sortedIDs(c0, c1, c2, c3, c4)) {
		t.Fatalf("pages of 2 gave %v", got)
	}
	for i := 1; i < len(all); i++ {
		if all[i].LastActivityAt > all[i-1].LastActivityAt {
			t.Fatalf("row %d is newer than row %d: %+v", i, i-1, all)
		}
	}
	for _, r := range all {
		if r.ID == c2 && (r.Status != "queued" || r.Queue != "default" || r.Channel != "web" || r.Customer.Name != "Cust2" || r.WaitingSince == "" || r.StartedAt == "") {
			t.Fatalf("queued row = %+v", r)
		}
		if r.ID == c0 && (r.Status != "active" || r.Queue != "billing" || r.Subject != "billing" || !slices.Equal(r.Agents, []string{"agent-1"})) {
			t.Fatalf("active row = %+v", r)
		}
	}
	for query, want := range map[string][]string{
		"status=queued":               {c1, c2, c3, c4},
		"status=active":               {c0},
		"status=ended":                {},
		"queue=billing":               {c0, c1, c4},
		"queue=default&channel=sms":   {c3},
		"agent=agent-1":               {c0},
		"channel=web&status=queued":   {c2, c4},
		"status=queued&queue=billing": {c1, c4},
	} {
		q, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}
		q.Set("limit", "1")
		if got := idsOf(listAll(t, s, q, 1)); !slices.Equal(got, sortedIDs(want...)) {
			t.Errorf("%s: got %v, want %v", query, got, sortedIDs(want...))
		}
	}
	for _, query := range []string{"limit=0", "limit=501", "limit=two", "status=waiting"} {
		var bad errorBody
		if code := s.do(t, "GET", "/api/conversations?"+query, nil, &bad); code != http.StatusBadRequest || bad.Code != "invalid_request" || bad.Message == "" {
			t.Errorf("%s: %d %+v", query, code, bad)
		}
	}
}

// TestAgentStateWithAuthOff: with --auth=off the agent names itself with
// id in agentState's data, and is routed to under that id.
func TestAgentStateWithAuthOff(t *testing.T) {
	s := startServer(t, t.TempDir(), "--auth", "off", "--queues", "tech")
	ann := dial(t, s, "ann")
	mustError(t, ann.call("agentState", map[string]any{"state": "ready"}), "invalid_request")
	ack := ready(t, ann, map[string]any{"id": "ann", "capacity": 2})
	if ack.AgentID != "ann" || ack.State != "ready" || ack.Capacity != 2 || !slices.Equal(ack.Queues, []string{"default", "tech"}) && !slices.Equal(ack.Queues, []string{"tech", "default"}) {
		t.Fatalf("agentState ack = %+v", ack)
	}
	var init initAnswer
	if code := s.doAs(t, "", "POST", "/api/customer/init", map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web", "subject": "tech"}, &init); code != http.StatusOK {
		t.Fatalf("init: %d", code)
	}
	conv := init.ConversationID
	if got := decode[assigned](t, ann.next("conversationAssigned").Data); got.ConversationID != conv || got.Queue != "tech" {
		t.Fatalf("conversationAssigned = %+v", got)
	}
	var agents struct {
		Agents []struct {
			ID string `json:"id"`
			agentView
		}
	}
	s.do(t, "GET", "/api/agents", nil, &agents)
	if len(agents.Agents) != 1 || agents.Agents[0].ID != "ann" || agents.Agents[0].AgentID != "ann" || !slices.Equal(agents.Agents[0].Assigned, []string{conv}) {
		t.Fatalf("GET /api/agents = %+v", agents)
	}
}

// TestTransferToAQueueNobodyServes: after a staff transfer to a queue where
// nobody can take it, the customer is told once, as on first queueing, and
// the conversation waits there for the next agent of that queue.
func TestTransferToAQueueNobodyServes(t *testing.T) {
	s := startServer(t, t.TempDir(), append(routingKeysFile(t), "--queues", "tech")...)
	agent1 := dialAs(t, s, "agent1", agentKey)
	ready(t, agent1, map[string]any{"queues": []string{"default"}})
	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	conv := chat.ConversationID
	agent1.next("conversationAssigned")
	agent1.next("conversationInfo")
	customer, _ := joinCustomer(t, s, chat)
	agent1.mustCall("sendMessage", map[string]any{"type": "ActivityMessage", "activityType": "handOff", "conversationId": conv, "info": map[string]any{"queue": "tech"}})
	m := nextActivity(t, customer, "noAgentAvailable", 10*time.Second)
	if info := infoOf(t, m); info["queue"] != "tech" || info["position"] != float64(1) {
		t.Fatalf("noAgentAvailable info = %s", m.Info)
	}
	agent2 := dialAs(t, s, "agent2", agent2Key)
	ready(t, agent2, map[string]any{"queues": []string{"tech"}})
	if got := decode[assigned](t, agent2.next("conversationAssigned").Data); got.ConversationID != conv || got.Queue != "tech" {
		t.Fatalf("agent-2's conversationAssigned = %+v", got)
	}
	if _, again := customer.takeQueued(func(f frame) bool {
		var m message
		return f.Event == "messageArrived" && json.Unmarshal(f.Data, &m) == nil && m.ActivityType == "noAgentAvailable"
	}); again {
		t.Fatal("the customer was told twice that no agent is available")
	}
}
