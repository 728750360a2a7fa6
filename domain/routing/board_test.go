package routing_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

func recorded(t *testing.T, stream string, rev uint64, e routing.Event) domain.RecordedEvent {
	t.Helper()
	d, err := routing.Encode("id", e, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	return domain.RecordedEvent{Stream: stream, Type: d.Type, Revision: rev, Data: d.Data, Metadata: d.Metadata}
}

func TestBoardFoldsEachRevisionOnce(t *testing.T) {
	b := routing.NewBoard()
	stream := routing.AgentStream("ann")
	for _, rec := range []domain.RecordedEvent{
		recorded(t, stream, 0, ready),
		recorded(t, stream, 1, claimed("c1")),
		recorded(t, stream, 1, claimed("c1")), // the feed brings what the router folded already
		recorded(t, stream, 2, routing.AgentReleased{AgentID: "ann", ConversationID: "c1", Timestamp: t0.Add(time.Minute)}),
	} {
		if _, err := b.ApplyRouting(rec); err != nil {
			t.Fatal(err)
		}
	}
	a := b.Agents["ann"]
	if a.Version != 2 || len(a.Claims) != 0 || !a.IdleSince.Equal(t0.Add(time.Minute)) {
		t.Fatalf("agent = %+v", a)
	}
	if applied, _ := b.ApplyRouting(recorded(t, stream, 2, claimed("c9"))); applied {
		t.Fatal("an old revision was folded again")
	}
}

func TestBoardKeepsOpenConversations(t *testing.T) {
	b := routing.NewBoard()
	b.ApplyConversation("c1", 0, domain.ConversationStarted{ConversationID: "c1", Subject: "billing", Channel: "web",
		Customer: domain.Customer{Personal: domain.PersonalData{FirstName: "Ada"}}}, t0)
	b.ApplyConversation("c1", 1, domain.Message{Type: domain.TypeChatMessage, From: domain.Participant{Role: domain.RoleCustomer}}, t0.Add(time.Second))
	c := b.Open["c1"]
	if c == nil || !c.CustomerWrote || c.CustomerName != "Ada" || c.Ticket.Subject != "billing" || !c.LastChatAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("open conversation = %+v", c)
	}
	b.ApplyConversation("c1", 2, domain.Message{Type: domain.TypeActivityMessage, ActivityType: domain.ActivityEndOfConversation}, t0.Add(2*time.Second))
	if _, open := b.Open["c1"]; open || b.Convs["c1"].Status() != "ended" {
		t.Fatalf("ended conversation still open: %+v", b.Convs["c1"])
	}
}

func TestBoardEndReleasesTheAgentsClaim(t *testing.T) {
	end := domain.Message{Type: domain.TypeActivityMessage, ActivityType: domain.ActivityEndOfConversation}
	tests := map[string]struct {
		given     func(t *testing.T, b *routing.Board)
		wantClaim bool
	}{
		"claimed, assigned, then ended": {
			given: func(t *testing.T, b *routing.Board) {
				mustApply(t, b, recorded(t, routing.AgentStream("ann"), 1, claimed("c1")))
				mustApply(t, b, recorded(t, routing.TicketStream("c1"), 0, routing.ConversationAssigned{ConversationID: "c1", AgentID: "ann", Timestamp: t0}))
				b.ApplyConversation("c1", 1, end, t0.Add(time.Minute))
			},
		},
		"ended before the claim came": {
			given: func(t *testing.T, b *routing.Board) {
				b.ApplyConversation("c1", 1, end, t0.Add(time.Minute))
				mustApply(t, b, recorded(t, routing.AgentStream("ann"), 1, claimed("c1")))
			},
		},
		"ended while another agent held it: the sweep releases": {
			given: func(t *testing.T, b *routing.Board) {
				mustApply(t, b, recorded(t, routing.AgentStream("ann"), 1, claimed("c1")))
				b.ApplyConversation("c1", 1, end, t0.Add(time.Minute))
			},
			wantClaim: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b := routing.NewBoard()
			mustApply(t, b, recorded(t, routing.AgentStream("ann"), 0, ready))
			b.ApplyConversation("c1", 0, domain.ConversationStarted{ConversationID: "c1"}, t0)
			tt.given(t, b)
			a := b.Agents["ann"]
			if _, held := a.Claims["c1"]; held != tt.wantClaim || a.Version != 1 {
				t.Fatalf("claim held = %v, want %v (agent %+v)", held, tt.wantClaim, a)
			}
		})
	}
}

func mustApply(t *testing.T, b *routing.Board, rec domain.RecordedEvent) {
	t.Helper()
	if _, err := b.ApplyRouting(rec); err != nil {
		t.Fatal(err)
	}
}
