package router_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// TestAnOfferToAnAgentWhoLeftGoesBackToTheQueue: a conversation handed
// to agent-2, who goes notReady before the router could assign it, is
// queued again in its queue and goes to the ready agent-1.
func TestAnOfferToAnAgentWhoLeftGoesBackToTheQueue(t *testing.T) {
	store, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	queues, _ := routing.NewQueues([]string{"tech"}, "default")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	n := startFeedNode(t, ctx, store, queues, &wg)

	// given a queued conversation offered to agent-2, who then left
	started, err := n.svc.Start(ctx, domain.StartConversation{Channel: "web", Personal: domain.PersonalData{RefID: "c1"}}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	conv := started.ConversationID
	if err := n.router.Enqueue(ctx, started); err != nil {
		t.Fatal(err)
	}
	if _, err := n.router.SetState(ctx, "agent-2", routing.StateReady, []string{"tech"}, 1); err != nil {
		t.Fatal(err)
	}
	h, err := n.router.PrepareHandOff(conv, "agent-1", json.RawMessage(`{"agentId":"agent-2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.router.Transfer(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := n.router.SetState(ctx, "agent-2", routing.StateNotReady, nil, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := n.router.SetState(ctx, "agent-1", routing.StateReady, nil, 1); err != nil {
		t.Fatal(err)
	}

	// when the router runs
	wg.Add(1)
	go func() { defer wg.Done(); n.router.Run(ctx) }()

	// then the offer is withdrawn and agent-1 takes the conversation
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs, err := store.ReadStream(ctx, routing.TicketStream(conv), 0, 100)
		if err != nil && time.Now().After(deadline) {
			t.Fatal(err)
		}
		var got []routing.Event
		for _, rec := range recs {
			e, err := routing.Decode(rec)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if len(got) == 3 {
			q, ok1 := got[1].(routing.ConversationQueued)
			a, ok2 := got[2].(routing.ConversationAssigned)
			if !ok1 || q.Reason != routing.ReasonOfferLapsed || q.Queue != "default" || q.OfferedTo != "" || !ok2 || a.AgentID != "agent-1" {
				t.Fatalf("ticket = %+v", got)
			}
			return
		}
		if len(got) > 3 || time.Now().After(deadline) {
			t.Fatalf("ticket = %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
