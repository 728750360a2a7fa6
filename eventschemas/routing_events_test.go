package eventschemas_test

import (
	"maps"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// allSchemaVersions is every event type Parley writes: the conversation's
// and routing's, each model keeping its own list.
func allSchemaVersions() map[string]int {
	out := maps.Clone(domain.SchemaVersions)
	maps.Copy(out, routing.SchemaVersions)
	return out
}

// routingEvents returns one event of every routing type, encoded as the
// router encodes them.
func routingEvents(tb testing.TB) []domain.EventData {
	tb.Helper()
	until := testNow.Add(30 * time.Second)
	var out []domain.EventData
	for _, e := range []routing.Event{
		routing.ConversationQueued{ConversationID: convID, Queue: "billing", Reason: routing.ReasonHandOff, OfferedTo: "bob", HandedOffBy: agentID, Subject: "Billing", Channel: "web", Timestamp: testNow},
		routing.ConversationQueued{ConversationID: convID, Queue: "default", Reason: routing.ReasonNew, Timestamp: testNow},
		routing.ConversationAssigned{ConversationID: convID, AgentID: agentID, Queue: "billing", WaitedMs: 1200, Candidates: []string{agentID, "bob"}, Previous: "bob", Timestamp: testNow},
		routing.ConversationAssigned{ConversationID: convID, AgentID: agentID, Queue: "billing", Timestamp: testNow},
		routing.ConversationUnassigned{ConversationID: convID, AgentID: agentID, Reason: routing.ReasonPresence, Timestamp: testNow},
		routing.AgentStateChanged{AgentID: agentID, State: routing.StateReady, Queues: []string{"billing"}, Capacity: 3, LeaseUntil: until, Timestamp: testNow},
		routing.AgentStateChanged{AgentID: agentID, State: routing.StateNotReady, Capacity: 3, LeaseUntil: until, Reason: routing.ReasonPresence, Timestamp: testNow},
		routing.AgentLeaseRenewed{AgentID: agentID, LeaseUntil: until, Timestamp: testNow},
		routing.AgentClaimed{AgentID: agentID, ConversationID: convID, Timestamp: testNow},
		routing.AgentReleased{AgentID: agentID, ConversationID: convID, Reason: "ended", Timestamp: testNow},
	} {
		d, err := routing.Encode(newIDs()(), e, domain.Metadata{CorrelationID: "req-1"})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestValidate_RoutingEvents(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range routingEvents(t) {
		seen[e.Type] = true
		if err := reg.Validate(e.Type, e.Metadata.SchemaVersion, e.Data); err != nil {
			t.Errorf("%s: %v\n%s", e.Type, err, e.Data)
		}
	}
	for eventType := range routing.SchemaVersions {
		if !seen[eventType] {
			t.Errorf("the routing events of this test include no %s", eventType)
		}
	}
}

func TestValidate_RoutingEventsRefuseBadData(t *testing.T) {
	events := routingEvents(t)
	for name, data := range map[string][]byte{
		"capacity over 100": mutate(t, events[5].Data, func(m map[string]any) { m["capacity"] = 101 }),
		"unknown state":     mutate(t, events[5].Data, func(m map[string]any) { m["state"] = "away" }),
		"queue with spaces": mutate(t, events[5].Data, func(m map[string]any) { m["queues"] = []any{"bil ling"} }),
		"extra field":       mutate(t, events[5].Data, func(m map[string]any) { m["extra"] = 1 }),
	} {
		if err := reg.Validate(routing.EventAgentStateChanged, 1, data); err == nil {
			t.Errorf("%s: accepted %s", name, data)
		}
	}
}
