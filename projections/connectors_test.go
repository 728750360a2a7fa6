package projections_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// outboxFeed hands the connectors read model conversation events as a store
// would, numbering each conversation's events from 0.
type outboxFeed struct {
	t    *testing.T
	x    *projections.Connectors
	revs map[string]uint64
	n    int
}

func (f *outboxFeed) apply(conv string, e domain.Event) uint64 {
	f.t.Helper()
	f.n++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.n)
	if m, ok := e.(domain.Message); ok {
		m.ID, m.ConversationID = id, conv
		e = m
	}
	data, err := domain.EncodeEvent(id, e, domain.Metadata{})
	if err != nil {
		f.t.Fatal(err)
	}
	rev := f.revs[conv]
	f.revs[conv]++
	rec := domain.RecordedEvent{ID: id, Stream: domain.StreamName(conv), Type: data.Type, Revision: rev, Data: data.Data, Metadata: data.Metadata}
	if err := f.x.Apply(projections.NewFeedEvent(rec)); err != nil {
		f.t.Fatal(err)
	}
	return rev
}

func started(conv, channel, refID string) domain.ConversationStarted {
	return domain.ConversationStarted{ConversationID: conv, Channel: channel, Timestamp: "t",
		Customer: domain.Customer{ParticipantID: "cust-" + conv, Personal: domain.PersonalData{RefID: refID}}}
}

func say(from domain.Participant, text string) domain.Message {
	return domain.Message{Type: domain.TypeChatMessage, From: from, Text: text, Timestamp: "t"}
}

func TestConnectorsOutbox(t *testing.T) {
	agent := domain.Participant{ID: "agent-1", Role: domain.RoleAgent}
	customer := domain.Participant{ID: "cust-c1", Role: domain.RoleCustomer}
	f := &outboxFeed{t: t, x: projections.NewConnectors(), revs: map[string]uint64{}}
	x := f.x

	f.apply("c1", started("c1", "sms", "+1555"))
	f.apply("w1", started("w1", "web", "r"))
	if id, ok := x.Active("sms", "+1555"); !ok || id != "c1" {
		t.Fatalf("Active = %q, %v", id, ok)
	}
	if _, ok := x.Active("web", "r"); ok {
		t.Fatal("a web conversation is followed; web customers are on websockets")
	}

	// What the customer sent, whispers and messages to others are not for it.
	f.apply("c1", say(customer, "hi"))
	whisper := say(agent, "psst")
	whisper.Tag = domain.TagWhisper
	f.apply("c1", whisper)
	direct := say(agent, "to a colleague")
	direct.To = []domain.Participant{{ID: "agent-2"}}
	f.apply("c1", direct)
	if claims := x.Claim("sms", 10); len(claims) != 0 {
		t.Fatalf("nothing is for the customer yet, but %d claims", len(claims))
	}

	reply := f.apply("c1", say(agent, "hello"))
	claims := x.Claim("sms", 10)
	if len(claims) != 1 || claims[0].Conversation != "c1" || claims[0].RefID != "+1555" || claims[0].After != -1 {
		t.Fatalf("claims = %+v", claims)
	}
	if again := x.Claim("sms", 10); len(again) != 0 {
		t.Fatal("a conversation with a message in flight was claimed twice: order per customer would break")
	}
	now := time.Now()
	x.Sent("c1", int64(reply), "m-reply", "s1", now)
	if _, _, ok := x.Acked("m-reply", "s2"); ok {
		t.Fatal("another connection acknowledged a message it was not given")
	}

	// The connection closes before acknowledging: the message is free again.
	if n := x.Release("s1", time.Time{}); n != 1 {
		t.Fatalf("Release freed %d", n)
	}
	claims = x.Claim("sms", 10)
	if len(claims) != 1 {
		t.Fatalf("after the connection closed: %d claims, want the message again", len(claims))
	}
	x.Sent("c1", int64(reply), "m-reply", "s2", now)
	// Unacknowledged past the deadline: free again.
	if n := x.Release("", now.Add(time.Second)); n != 1 {
		t.Fatalf("Release by deadline freed %d", n)
	}
	x.Claim("sms", 10)
	x.Sent("c1", int64(reply), "m-reply", "s2", now)
	conv, seq, ok := x.Acked("m-reply", "s2")
	if !ok || conv != "c1" || seq != int64(reply) {
		t.Fatalf("Acked = %s %d %v", conv, seq, ok)
	}
	x.Delivered(conv, seq)
	if claims := x.Claim("sms", 10); len(claims) != 0 || x.Pending("sms") != 0 {
		t.Fatalf("after the acknowledgement: %d claims, %d pending", len(claims), x.Pending("sms"))
	}

	// Ended with something left: still followed until delivered, then forgotten.
	last := f.apply("c1", say(agent, "bye"))
	f.apply("c1", domain.Message{Type: domain.TypeActivityMessage, From: agent, ActivityType: domain.ActivityEndOfConversation, Timestamp: "t"})
	if _, ok := x.Active("sms", "+1555"); ok {
		t.Fatal("an ended conversation is still the customer's active one")
	}
	if _, followed := x.Progress("c1"); !followed {
		t.Fatal("an ended conversation with messages to deliver was forgotten")
	}
	x.Delivered("c1", int64(last)+1) // through the end activity
	if _, followed := x.Progress("c1"); followed {
		t.Fatal("a finished, fully delivered conversation is still kept in memory")
	}
}

func TestConnectorsRegistrations(t *testing.T) {
	x := projections.NewConnectors()
	data, err := domain.EncodeEvent("00000000-0000-4000-8000-000000000001", domain.ConnectorRegistered{ID: "whatsapp", Channel: "whatsapp", Connection: "c", Timestamp: "t"}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Registered("whatsapp") {
		t.Fatal("registered before any registration")
	}
	if err := x.Apply(projections.NewFeedEvent(domain.RecordedEvent{Stream: domain.ConnectorsStream, Type: data.Type, Data: data.Data})); err != nil {
		t.Fatal(err)
	}
	if !x.Registered("whatsapp") {
		t.Fatal("a stored registration is not known")
	}
}

// Given an SMS customer with a reply waiting, when their data is erased,
// then their number is gone from the outbox and from its snapshot, and
// nothing more is handed to the connector for them.
func TestConnectorsForgetAnErasedCustomer(t *testing.T) {
	agent := domain.Participant{ID: "agent-1", Role: domain.RoleAgent}
	f := &outboxFeed{t: t, x: projections.NewConnectors(), revs: map[string]uint64{}}
	f.apply("c1", started("c1", "sms", "+1555"))
	f.apply("c1", say(agent, "hello"))
	f.apply("c1", domain.PersonalDataErased{ConversationID: "c1", CustomerID: "0123456789abcdef0123456789abcdef", Timestamp: "t"})
	if _, ok := f.x.Active("sms", "+1555"); ok {
		t.Error("the erased customer's number still finds their conversation")
	}
	if claims := f.x.Claim("sms", 10); len(claims) != 0 {
		t.Errorf("claims for an erased customer: %+v", claims)
	}
	if raw := fmt.Sprintf("%+v", f.x.State()); strings.Contains(raw, "+1555") {
		t.Errorf("the snapshot state holds the erased number: %s", raw)
	}
}
