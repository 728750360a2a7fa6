package projections_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// consume hands events to the routing read model as the feed would.
func consume(t *testing.T, r *projections.Routing, stream string, rev uint64, at time.Time, e domain.Event) {
	t.Helper()
	var d domain.EventData
	var err error
	if _, conversation := domain.ConversationIDOf(stream); conversation {
		d, err = domain.EncodeEvent("id", e, domain.Metadata{SchemaVersion: domain.SchemaVersions[e.EventType()]})
	} else {
		d, err = routing.Encode("id", e, domain.Metadata{})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Consume(projections.NewFeedEvent(domain.RecordedEvent{Stream: stream, Type: d.Type, Revision: rev, Data: d.Data, Metadata: d.Metadata, Recorded: at})); err != nil {
		t.Fatal(err)
	}
}

func TestConversationsPageNewestFirst(t *testing.T) {
	r := projections.NewRouting()
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		id := fmt.Sprint("c", i)
		at := t0.Add(time.Duration(i) * time.Minute)
		consume(t, r, domain.StreamName(id), 0, at, domain.ConversationStarted{ConversationID: id, Channel: "web",
			Customer: domain.Customer{ParticipantID: "p", Personal: domain.PersonalData{FirstName: "Ada"}}})
		consume(t, r, routing.TicketStream(id), 0, at, routing.ConversationQueued{ConversationID: id, Queue: "billing", Reason: routing.ReasonNew, Timestamp: at})
		if i%2 == 0 {
			consume(t, r, routing.TicketStream(id), 1, at, routing.ConversationAssigned{ConversationID: id, AgentID: "ann", Queue: "billing", Timestamp: at})
		}
	}
	var got []string
	after := ""
	for page := 0; ; page++ {
		rows, next, err := r.Conversations(t.Context(), projections.ConversationFilter{Limit: 2, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			got = append(got, row.ID)
		}
		if next == "" {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
		after = next
	}
	if fmt.Sprint(got) != "[c4 c3 c2 c1 c0]" {
		t.Fatalf("pages = %v, want newest first", got)
	}
	rows, _, _ := r.Conversations(t.Context(), projections.ConversationFilter{Status: "queued", Limit: 10})
	if len(rows) != 2 || rows[0].ID != "c3" || rows[0].WaitingSince == "" || rows[0].Customer.Name != "Ada" {
		t.Fatalf("queued = %+v", rows)
	}
	rows, _, _ = r.Conversations(t.Context(), projections.ConversationFilter{Agent: "ann", Status: "active", Limit: 10})
	if len(rows) != 3 || rows[0].Agents[0] != "ann" {
		t.Fatalf("ann's = %+v", rows)
	}
	q := r.Queues([]string{"billing", "default"}, t0.Add(10*time.Minute))
	if q[0].Waiting != 2 || q[0].OldestWaitMs != (9*time.Minute).Milliseconds() || q[1].Waiting != 0 {
		t.Fatalf("queues = %+v", q)
	}
}
