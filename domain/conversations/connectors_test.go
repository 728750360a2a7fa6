package conversations_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
)

func openStore(t *testing.T) domain.EventStore {
	t.Helper()
	s, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustService(t *testing.T, store domain.EventStore) *conversations.Service {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	svc, err := conversations.New(conversations.Config{Store: store, Now: now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// A delivery is decided on its conversation's state, even when another
// node stored the message after this node cached the conversation.
func TestRecordDeliveryOfAMessageStoredElsewhere(t *testing.T) {
	ctx := t.Context()
	store := openStore(t)
	here, there := mustService(t, store), mustService(t, store)
	agent := domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}
	started, err := here.Start(ctx, domain.StartConversation{Channel: "sms", Personal: domain.PersonalData{Phone: "+15550001"}}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	id := started.ConversationID
	if _, err := here.Execute(ctx, id, domain.JoinConversation{Participant: agent}, domain.Metadata{}); err != nil {
		t.Fatal(err)
	}
	msg := domain.Message{Type: domain.TypeChatMessage, From: domain.Participant{ID: agent.ID}, Text: "hello"}
	res, err := there.Execute(ctx, id, domain.PostMessage{Message: msg}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	stored := res.Events[0]
	ack := domain.RecordDelivery{MessageID: stored.Event.(domain.Message).ID, ConversationID: id, Sequence: stored.Revision, Channel: "sms", Connector: "sms"}

	if err := here.RecordDelivery(ctx, ack, domain.Metadata{}); err != nil {
		t.Fatalf("delivery of a message stored by the other node: %v", err)
	}
	if err := here.RecordDelivery(ctx, ack, domain.Metadata{}); err != nil {
		t.Fatalf("the same acknowledgement again: %v", err)
	}
	recs, err := store.ReadStream(ctx, domain.DeliveryStream(id), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].ID != domain.DeliveryEventID(ack.MessageID) || recs[0].Type != domain.EventMessageDelivered {
		t.Fatalf("delivery stream holds %d events (%+v), want the one MessageDelivered", len(recs), recs)
	}

	unknown := ack
	unknown.MessageID = uuid.NewString()
	if err := here.RecordDelivery(ctx, unknown, domain.Metadata{}); domain.ErrorCode(err) != domain.CodeMessageNotFound {
		t.Fatalf("delivery of an unknown message: %v, want %s", err, domain.CodeMessageNotFound)
	}
}

func TestRegisterConnectorIsDecided(t *testing.T) {
	ctx := t.Context()
	store := openStore(t)
	svc := mustService(t, store)
	if err := svc.RegisterConnector(ctx, domain.RegisterConnector{ID: "gw", Channel: "sms"}, domain.Metadata{}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("register with an id other than the channel: %v, want %s", err, domain.CodeInvalid)
	}
	if _, err := store.ReadStream(ctx, domain.ConnectorsStream, 0, 10); err == nil {
		t.Fatal("a refused registration was stored")
	}
	if err := svc.RegisterConnector(ctx, domain.RegisterConnector{ID: "sms", Name: "SMS", Channel: "sms", Connection: "c1"}, domain.Metadata{}); err != nil {
		t.Fatal(err)
	}
	recs, err := store.ReadStream(ctx, domain.ConnectorsStream, 0, 10)
	if err != nil || len(recs) != 1 || recs[0].Type != domain.EventConnectorRegistered {
		t.Fatalf("connectors stream: %d events, %v; want the one registration", len(recs), err)
	}
}
