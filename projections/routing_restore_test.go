//go:build unix

package projections_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// feedInto runs the feed of store after after into board until it has
// caught up; it does not touch t, so it can run on another goroutine.
func feedInto(ctx context.Context, store domain.EventStore, after domain.After, board *projections.Routing) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := projections.RunFeed(ctx, store, after, quiet, cancel, func(_ context.Context, e *projections.FeedEvent) error { return board.Consume(e) })
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// requireWholeHistory fails t unless board is the fold of store's whole
// history.
func requireWholeHistory(t *testing.T, store domain.EventStore, board *projections.Routing) {
	t.Helper()
	whole := projections.NewRouting()
	if err := feedInto(t.Context(), store, 0, whole); err != nil {
		t.Fatal(err)
	}
	if got, want := projections.BoardDump(board), projections.BoardDump(whole); got != want {
		t.Fatalf("resumed board:\n%s\nwant the whole history's:\n%s", got, want)
	}
}

// eraseCustomer appends a PersonalDataErased to conversation conv.
func eraseCustomer(t *testing.T, store domain.EventStore, conv string) {
	t.Helper()
	ev, err := domain.EncodeEvent(domain.NameUUID("erased-"+conv), domain.PersonalDataErased{ConversationID: conv,
		CustomerID: "0123456789abcdef0123456789abcdef", Timestamp: "2026-12-04T10:00:00Z"}, domain.Metadata{CorrelationID: "erase"})
	if err == nil {
		_, err = store.Append(t.Context(), domain.StreamName(conv), domain.Any(), []domain.EventData{ev})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// An event on a conversation that had ended when the snapshot was taken,
// or an agent's claim of one, arriving while a restore still adds the ended
// conversations, is folded with the snapshot's entry of it, not with a
// fresh one: the feed waits.
func TestRoutingFeedWaitsForTheEndedConversations(t *testing.T) {
	ended := domain.NameUUID("routed-bench-3")
	for name, tc := range map[string]struct {
		event func(t *testing.T, store domain.EventStore)
		check func(c *routing.Conv, b *routing.Board) string
	}{
		"the customer's erasure": {
			event: func(t *testing.T, store domain.EventStore) { eraseCustomer(t, store, ended) },
			check: func(c *routing.Conv, _ *routing.Board) string {
				if c.CustomerName != domain.Erased || !c.Started || !c.Ended {
					return fmt.Sprintf("name %q, started %v, ended %v", c.CustomerName, c.Started, c.Ended)
				}
				return ""
			},
		},
		"an agent's claim": {
			event: func(t *testing.T, store domain.EventStore) {
				d, err := routing.Encode(domain.NameUUID("late-claim"), routing.AgentClaimed{AgentID: "agent-ready", ConversationID: ended,
					Timestamp: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}, domain.Metadata{})
				if err == nil {
					_, err = store.Append(t.Context(), routing.AgentStream("agent-ready"), domain.Any(), []domain.EventData{d})
				}
				if err != nil {
					t.Fatal(err)
				}
			},
			check: func(_ *routing.Conv, b *routing.Board) string {
				if _, held := b.Agents["agent-ready"].Claims[ended]; held {
					return "the claim of an ended conversation holds a unit of capacity"
				}
				return ""
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			// Given a routing snapshot with ended conversations, and an
			// event on one of them after it,
			dir := t.TempDir()
			file := routedSnapshot(t, dir)
			store, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			tc.event(t, store)

			// when a node has restored its open part and the feed starts
			// before the ended conversations are added,
			var st projections.RoutingState
			cp, ok, err := file.Load(&st)
			if err != nil || !ok {
				t.Fatalf("Load = %v, %v", ok, err)
			}
			resumed := projections.NewRouting()
			addEnded := projections.RestoreInSteps(resumed, &st, nil)
			done := make(chan error, 1)
			go func() { done <- feedInto(t.Context(), store, cp.After, resumed) }()
			time.Sleep(50 * time.Millisecond) // lets the feed reach the event; the checks hold either way
			select {
			case err := <-done:
				t.Fatalf("the feed caught up (%v) before the ended conversations were on the board", err)
			default:
			}
			addEnded()
			if err := <-done; err != nil {
				t.Fatal(err)
			}

			// then the event is folded with the snapshot's entry: the
			// board is the fold of the whole history.
			var problem string
			resumed.With(func(b *routing.Board) { problem = tc.check(b.Convs[ended], b) })
			if problem != "" {
				t.Fatal(problem)
			}
			requireWholeHistory(t, store, resumed)
		})
	}
}

// Events on other conversations (new ones, their tickets, the agents'
// claims of them) are folded while a restore still adds the ended
// conversations: the feed, and so the start, does not wait for them.
func TestRoutingFeedFoldsOtherConversationsAtOnce(t *testing.T) {
	// Given a routing snapshot with ended conversations, and new
	// conversations queued and assigned after it,
	dir := t.TempDir()
	file := routedSnapshot(t, dir)
	store, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var st projections.RoutingState
	cp, ok, err := file.Load(&st)
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}

	// when a node has restored the open part and runs the feed,
	resumed := projections.NewRouting()
	addEnded := projections.RestoreInSteps(resumed, &st, nil)
	done := make(chan error, 1)
	go func() { done <- feedInto(t.Context(), store, cp.After, resumed) }()

	// then the feed catches up before the ended conversations are added
	// (the bound guards against a hang, it measures nothing),
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		addEnded()
		t.Fatal("the feed waited for the ended conversations, though no event was on one")
	}
	// and once they are added the board is the whole history's.
	addEnded()
	requireWholeHistory(t, store, resumed)
}

// The staff's list never answers a part: while a restore adds the ended
// conversations it waits, within its caller's context; the queues and
// agents, which need only the open conversations, answer at once.
func TestRoutingListWaitsForTheEndedConversations(t *testing.T) {
	// Given a node that restored the open part of a snapshot,
	dir := t.TempDir()
	file := routedSnapshot(t, dir)
	var st projections.RoutingState
	if _, ok, err := file.Load(&st); err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	resumed := projections.NewRouting()
	addEnded := projections.RestoreInSteps(resumed, &st, nil)
	ended := projections.ConversationFilter{Status: "ended", Limit: 100}

	// when the staff lists ended conversations before they are added,
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	rows, _, err := resumed.Conversations(ctx, ended)
	// then the list gives its context's error, not a part,
	if !errors.Is(err, context.DeadlineExceeded) || rows != nil {
		t.Fatalf("Conversations = %d rows, %v; want the deadline's error", len(rows), err)
	}
	// the queues answer at once,
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if q := resumed.Queues([]string{"default"}, now)[0]; q.Waiting != 5 || q.AgentsReady != 1 {
		t.Fatalf("default queue = %+v, want the snapshot's 5 waiting and 1 ready agent", q)
	}
	// and once they are added, the list holds them all.
	addEnded()
	rows, _, err = resumed.Conversations(t.Context(), ended)
	if err != nil || len(rows) != 40 {
		t.Fatalf("Conversations = %d rows, %v; want 40", len(rows), err)
	}
}
