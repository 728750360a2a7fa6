package projections_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// routingHistory is a small history routing folds: an open conversation a
// ready agent claimed, and an ended one.
func routingHistory(t *testing.T) []domain.RecordedEvent {
	t.Helper()
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	var out []domain.RecordedEvent
	conv := func(id string, events ...domain.Event) {
		for i, e := range events {
			d, err := domain.EncodeEvent("id", e, domain.Metadata{SchemaVersion: domain.SchemaVersions[e.EventType()]})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, domain.RecordedEvent{Stream: domain.StreamName(id), Type: d.Type, Revision: uint64(i), Data: d.Data,
				Metadata: d.Metadata, Recorded: at.Add(time.Duration(len(out)) * time.Second)})
		}
	}
	for _, id := range []string{"c1", "c2"} {
		started := domain.ConversationStarted{ConversationID: id, Channel: "web", Subject: "billing", Timestamp: domain.FormatTime(at),
			Customer: domain.Customer{ParticipantID: "p-" + id, Personal: domain.PersonalData{FirstName: "Ada", Email: "ada@example.com"}}}
		chat := domain.Message{ID: "m-" + id, ConversationID: id, Type: domain.TypeChatMessage, Text: "hi", Timestamp: domain.FormatTime(at),
			From: domain.Participant{ID: "p-" + id, Name: "Ada", Role: domain.RoleCustomer}}
		events := []domain.Event{started, chat}
		if id == "c2" {
			events = append(events, domain.Message{ID: "e-" + id, ConversationID: id, Type: domain.TypeActivityMessage,
				ActivityType: domain.ActivityEndOfConversation, From: domain.SystemParticipant, Timestamp: domain.FormatTime(at)})
		}
		conv(id, events...)
	}
	stream := routing.AgentStream("ann")
	for i, e := range []routing.Event{
		routing.AgentStateChanged{AgentID: "ann", State: routing.StateReady, Queues: []string{"billing"}, Capacity: 2, LeaseUntil: at.Add(time.Minute), Timestamp: at},
		routing.AgentClaimed{AgentID: "ann", ConversationID: "c1", Timestamp: at},
	} {
		d, err := routing.Encode("id", e, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, domain.RecordedEvent{Stream: stream, Type: d.Type, Revision: uint64(i), Data: d.Data, Metadata: d.Metadata, Recorded: at})
	}
	return out
}

// sortedBoard is st in a fixed order, to compare two states.
func sortedBoard(st projections.RoutingState) projections.RoutingState {
	slices.SortFunc(st.Convs, func(a, b routing.Conv) int { return strings.Compare(a.ConversationID, b.ConversationID) })
	slices.Sort(st.Open)
	slices.SortFunc(st.Agents, func(a, b routing.Agent) int { return strings.Compare(a.ID, b.ID) })
	return st
}

// TestRoutingSnapshotRoundTrip: given a board folded from a history, when
// its state goes through a snapshot's JSON and is restored into a new read
// model, then the new board equals the old, and the feed bringing the same
// events again (a snapshot newer than the feed's start) changes nothing.
func TestRoutingSnapshotRoundTrip(t *testing.T) {
	history := routingHistory(t)
	folded := projections.NewRouting()
	for _, rec := range history {
		if err := folded.Consume(projections.NewFeedEvent(rec)); err != nil {
			t.Fatal(err)
		}
	}
	want := sortedBoard(folded.State())
	if len(want.Convs) != 2 || !reflect.DeepEqual(want.Open, []string{"c1"}) || len(want.Agents) != 1 || len(want.Agents[0].Claims) != 1 {
		t.Fatalf("the folded board is not the history's: %+v", want)
	}

	raw, err := json.Marshal(folded.State())
	if err != nil {
		t.Fatal(err)
	}
	var st projections.RoutingState
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	restored := projections.NewRouting()
	restored.Restore(st)
	if got := sortedBoard(restored.State()); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored board:\n%+v\nwant\n%+v", got, want)
	}
	restored.With(func(b *routing.Board) {
		if b.Open["c1"] != b.Convs["c1"] {
			t.Error("an open conversation is not the same entry as in Convs: the router would update one and read the other")
		}
	})
	for _, rec := range history {
		if err := restored.Consume(projections.NewFeedEvent(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if got := sortedBoard(restored.State()); !reflect.DeepEqual(got, want) {
		t.Fatalf("the same events again changed the restored board:\n%+v\nwant\n%+v", got, want)
	}
}

// BenchmarkRoutingSnapshotLoad decodes and restores the snapshot of a
// board of 100,000 ended conversations: what a 10,000,000-event history of
// conversations of 100 adds to a node's start.
func BenchmarkRoutingSnapshotLoad(b *testing.B) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	st := projections.RoutingState{}
	for i := range 100_000 {
		c := routing.Conv{Ticket: *routing.NewTicket(domain.NameUUID(strconv.Itoa(i))), Started: true, Ended: true, StartedAt: at,
			EndedAt: at, CustomerName: "Ada Lovelace", CustomerWrote: true, LastChatAt: at, LastActivityAt: at, ConvVersion: 99}
		c.Ticket.Subject, c.Ticket.Channel = "Order 12345", "web"
		st.Convs = append(st.Convs, c)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(raw))/1e6, "MB")
	for b.Loop() {
		var got projections.RoutingState
		if err := json.Unmarshal(raw, &got); err != nil {
			b.Fatal(err)
		}
		projections.NewRouting().Restore(got)
	}
}
