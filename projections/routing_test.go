package projections_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// TestRoutingReadsConversations checks what the routing read model takes
// from conversation events, scanned or decoded.
func TestRoutingReadsConversations(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		personal domain.PersonalData
		subject  string
		want     string
	}{
		"plain":             {domain.PersonalData{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}, "billing", "Ada Lovelace"},
		"escaped (decoded)": {domain.PersonalData{FirstName: "Zoë \"Z\"", Email: "z@example.com"}, "caf\u00e9\n", "Zoë \"Z\""},
		"no name":           {domain.PersonalData{RefID: "+31"}, "", "Customer"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := projections.NewRouting()
			started := domain.ConversationStarted{ConversationID: "c1", Channel: "web", Subject: tt.subject, Timestamp: domain.FormatTime(at),
				Customer: domain.Customer{ParticipantID: "p1", Personal: tt.personal}}
			chat := domain.Message{ID: "m1", ConversationID: "c1", Type: domain.TypeChatMessage, Text: "hi", Timestamp: domain.FormatTime(at),
				From: domain.Participant{ID: "p1", Name: "Ada", Role: domain.RoleCustomer}}
			end := domain.Message{ID: "m2", ConversationID: "c1", Type: domain.TypeActivityMessage, ActivityType: domain.ActivityEndOfConversation,
				From: domain.SystemParticipant, Timestamp: domain.FormatTime(at)}
			for i, e := range []domain.Event{started, chat} {
				d, err := domain.EncodeEvent("id", e, domain.Metadata{SchemaVersion: domain.SchemaVersions[e.EventType()]})
				if err != nil {
					t.Fatal(err)
				}
				rec := domain.RecordedEvent{Stream: domain.StreamName("c1"), Type: d.Type, Revision: uint64(i), Data: d.Data, Metadata: d.Metadata, Recorded: at.Add(time.Duration(i) * time.Second)}
				if err := r.Consume(projections.NewFeedEvent(rec)); err != nil {
					t.Fatal(err)
				}
			}
			r.With(func(b *routing.Board) {
				c := b.Open["c1"]
				if c == nil || c.CustomerName != tt.want || c.Ticket.Subject != tt.subject || !c.CustomerWrote || !c.LastChatAt.Equal(at.Add(time.Second)) {
					t.Fatalf("conversation = %+v", c)
				}
			})
			d, _ := domain.EncodeEvent("id", end, domain.Metadata{SchemaVersion: 1})
			if err := r.Consume(projections.NewFeedEvent(domain.RecordedEvent{Stream: domain.StreamName("c1"), Type: d.Type, Revision: 2, Data: d.Data, Metadata: d.Metadata, Recorded: at})); err != nil {
				t.Fatal(err)
			}
			r.With(func(b *routing.Board) {
				if _, open := b.Open["c1"]; open {
					t.Fatal("the ended conversation is still open")
				}
			})
		})
	}
}
