package e2e

import (
	"strings"
	"testing"
)

// TestRoutingMetrics: with routing on, a queued conversation raises its
// queue's waiting gauge; an assignment lowers it, counts an assignment
// and observes the wait; the agent's capacity shows as ready or busy.
func TestRoutingMetrics(t *testing.T) {
	metricsAddr := freeAddr(t)
	s := startServer(t, t.TempDir(), "--metrics-addr", metricsAddr, "--queues", "billing")
	url := "http://" + metricsAddr + "/metrics"
	const (
		waiting     = `parley_queue_waiting_conversations{queue="billing"}`
		assignments = `parley_routing_assignments_total{queue="billing"}`
		waits       = `parley_queue_wait_duration_seconds_count{queue="billing"}`
		readyAgents = `parley_queue_ready_agents{queue="billing"}`
		busyAgents  = `parley_queue_busy_agents{queue="billing"}`
	)
	before := scrape(t, url, "")
	for _, name := range []string{waiting, `parley_queue_waiting_conversations{queue="default"}`, readyAgents, busyAgents} {
		if v, ok := before[name]; !ok || v != 0 {
			t.Errorf("%s before any chat: %v (present %v), want 0", name, v, ok)
		}
	}

	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web", "subject": "billing"})
	eventually(t, "the conversation to wait in billing", func() bool { return scrape(t, url, "")[waiting] == 1 })
	queued := scrape(t, url, "")
	if queued[`parley_queue_waiting_conversations{queue="default"}`] != 0 || queued[assignments] != 0 {
		t.Errorf("while queued: default waiting %v, assignments %v", queued[`parley_queue_waiting_conversations{queue="default"}`], queued[assignments])
	}

	agent := dialAs(t, s, "agent", agentKey)
	ready(t, agent, map[string]any{"queues": []string{"billing"}, "capacity": 1})
	if got := decode[assigned](t, agent.next("conversationAssigned").Data); got.ConversationID != chat.ConversationID {
		t.Fatalf("conversationAssigned = %+v", got)
	}
	eventually(t, "the assignment counted", func() bool { return scrape(t, url, "")[assignments] == 1 })
	after := scrape(t, url, "")
	checks := map[string]float64{waiting: 0, assignments: 1, waits: 1, readyAgents: 0, busyAgents: 1}
	for name, want := range checks {
		if got, ok := after[name]; !ok || got != want {
			t.Errorf("%s after the assignment: %v (present %v), want %v", name, got, ok, want)
		}
	}
	if sum := after[`parley_queue_wait_duration_seconds_sum{queue="billing"}`]; sum <= 0 {
		t.Errorf("wait observed: %v s, want more than 0", sum)
	}
	for name := range after {
		if strings.Contains(name, chat.ConversationID) || strings.Contains(name, chat.Participant.ID) || strings.Contains(name, "agent-1") {
			t.Errorf("a metric is labelled with an id: %s", name)
		}
	}
}
