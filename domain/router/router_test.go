package router_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/domain/router"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// node is one router with its own service, board and feed on a shared store.
type node struct {
	svc    *conversations.Service
	board  *projections.Routing
	router *router.Router
}

func startNode(t *testing.T, ctx context.Context, store domain.EventStore, queues *routing.Queues, wg *sync.WaitGroup) *node {
	t.Helper()
	n := startFeedNode(t, ctx, store, queues, wg)
	wg.Add(1)
	go func() { defer wg.Done(); n.router.Run(ctx) }()
	return n
}

// startFeedNode is a node whose feed runs and whose router does not yet.
func startFeedNode(t *testing.T, ctx context.Context, store domain.EventStore, queues *routing.Queues, wg *sync.WaitGroup) *node {
	t.Helper()
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{svc: svc, board: projections.NewRouting()}
	n.router = router.New(router.Config{Store: store, Service: svc, Board: n.board, Queues: queues, Now: time.Now,
		NewID: uuid.NewString, Logger: slog.New(slog.DiscardHandler), PresenceGrace: time.Minute, DefaultCapacity: 2})
	n.board.OnChange = func(domain.RecordedEvent) { n.router.Kick() }
	live := make(chan struct{})
	var once sync.Once
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = projections.RunFeed(ctx, store, 0, slog.New(slog.DiscardHandler), func() { once.Do(func() { close(live) }) },
			func(_ context.Context, e *projections.FeedEvent) error { return n.board.Consume(e) })
	}()
	<-live
	return n
}

// TestTwoRoutersNeverDoubleAssign runs two routers on one store, each
// queueing half the conversations and each holding half the agents, and
// checks from the store that each conversation went to one agent and that
// no agent took more than its capacity.
func TestTwoRoutersNeverDoubleAssign(t *testing.T) {
	store, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	queues, _ := routing.NewQueues(nil, "default")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	nodes := []*node{startNode(t, ctx, store, queues, &wg), startNode(t, ctx, store, queues, &wg)}

	const agents, capacity, convs = 4, 2, 20
	for i := range agents {
		if _, err := nodes[i%2].router.SetState(ctx, fmt.Sprint("agent-", i), routing.StateReady, nil, capacity); err != nil {
			t.Fatal(err)
		}
	}
	for i := range convs {
		n := nodes[i%2]
		started, err := n.svc.Start(ctx, domain.StartConversation{Channel: "web", Personal: domain.PersonalData{RefID: fmt.Sprint("c", i)}}, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		// Both nodes try to queue it: it is queued once.
		for _, m := range nodes {
			if err := m.router.Enqueue(ctx, started); err != nil {
				t.Fatal(err)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for assigned(t, store) < agents*capacity {
		if time.Now().After(deadline) {
			t.Fatalf("%d assigned, want %d", assigned(t, store), agents*capacity)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a few more passes, which must assign nothing more
	if n := assigned(t, store); n != agents*capacity {
		t.Fatalf("%d assignments with %d units of capacity", n, agents*capacity)
	}
}

// assigned counts the assignments in the store, failing on a conversation
// assigned or queued twice, or an agent over capacity.
func assigned(t *testing.T, store domain.EventStore) int {
	t.Helper()
	recs, err := store.ReadAll(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	queued, convs, claims := map[string]int{}, map[string]int{}, map[string]map[string]bool{}
	for _, rec := range recs {
		e, err := routing.Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		switch e := e.(type) {
		case routing.ConversationQueued:
			if queued[e.ConversationID]++; queued[e.ConversationID] > 1 {
				t.Fatalf("conversation %s queued twice", e.ConversationID)
			}
		case routing.ConversationAssigned:
			if convs[e.ConversationID]++; convs[e.ConversationID] > 1 {
				t.Fatalf("conversation %s assigned twice", e.ConversationID)
			}
		case routing.AgentClaimed:
			if claims[e.AgentID] == nil {
				claims[e.AgentID] = map[string]bool{}
			}
			claims[e.AgentID][e.ConversationID] = true
			if len(claims[e.AgentID]) > 2 {
				t.Fatalf("agent %s holds %d", e.AgentID, len(claims[e.AgentID]))
			}
		case routing.AgentReleased:
			delete(claims[e.AgentID], e.ConversationID)
		}
	}
	return len(convs)
}
