package esdbserver_test

import (
	"context"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// expectSeq reads len(want) messages and compares them with want.
func expectSeq(t *testing.T, sub *esdb.Subscription, want ...string) {
	t.Helper()
	var got []string
	for range want {
		got = append(got, describe(next(t, sub)))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("subscription sent\n  %q\nwant\n  %q", got, want)
	}
}

func TestSubscribeToStream(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	mustAppend(t, c, "s", esdb.NoStream{}, jsonEvents("e", 3)...)

	t.Run("from start: catch-up, caught_up, live", func(t *testing.T) {
		sub, err := c.SubscribeToStream(testCtx(t), "s", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		defer sub.Close()
		expectSeq(t, sub, "event s@0", "event s@1", "event s@2", "caught_up")
		mustAppend(t, c, "s", esdb.Any{}, jsonEvents("e", 1)...)
		expectSeq(t, sub, "event s@3")
	})
	t.Run("from a revision, exclusive", func(t *testing.T) {
		sub, err := c.SubscribeToStream(testCtx(t), "s", esdb.SubscribeToStreamOptions{From: esdb.Revision(1)})
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		defer sub.Close()
		expectSeq(t, sub, "event s@2", "event s@3", "caught_up")
	})
	t.Run("default start is the end", func(t *testing.T) {
		sub, err := c.SubscribeToStream(testCtx(t), "s", esdb.SubscribeToStreamOptions{})
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		defer sub.Close()
		expectSeq(t, sub, "caught_up")
		mustAppend(t, c, "s", esdb.Any{}, jsonEvents("e", 1)...)
		expectSeq(t, sub, "event s@4")
	})
	t.Run("a missing stream is waited for", func(t *testing.T) {
		sub, err := c.SubscribeToStream(testCtx(t), "later", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		defer sub.Close()
		expectSeq(t, sub, "caught_up")
		mustAppend(t, c, "later", esdb.NoStream{}, jsonEvents("e", 1)...)
		expectSeq(t, sub, "event later@0")
	})
}

func TestSubscribeToAllFilteredWithCheckpoints(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	// Six considered events, two of which match the prefix "a-".
	for _, s := range []string{"a-x", "b-x", "b-x", "a-x", "b-x", "b-x"} {
		mustAppend(t, c, s, esdb.Any{}, jsonEvents("e", 1)...)
	}
	all := mustReadAll(t, c, esdb.ReadAllOptions{}, 100)
	pos := func(i int) string { return strconv.FormatUint(all[i].Event.Position.Commit, 10) }
	filtered := func(from esdb.AllPosition, prefix string, window, multiplier int) esdb.SubscribeToAllOptions {
		return esdb.SubscribeToAllOptions{
			From:               from,
			Filter:             &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{prefix}},
			MaxSearchWindow:    window,
			CheckpointInterval: multiplier,
		}
	}
	subscribe := func(t *testing.T, opts esdb.SubscribeToAllOptions) *esdb.Subscription {
		t.Helper()
		sub, err := c.SubscribeToAll(testCtx(t), opts)
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		t.Cleanup(func() { _ = sub.Close() })
		return sub
	}

	t.Run("from start", func(t *testing.T) {
		// Every 2×2 considered events a checkpoint at the last one; the
		// end-of-catch-up checkpoint would repeat it, so it is not sent.
		sub := subscribe(t, filtered(esdb.Start{}, "a-", 2, 2))
		expectSeq(t, sub, "event a-x@0", "event a-x@1", "checkpoint "+pos(3), "caught_up")
	})
	t.Run("from a position, exclusive", func(t *testing.T) {
		sub := subscribe(t, filtered(all[1].Event.Position, "a-", 2, 2))
		expectSeq(t, sub, "event a-x@1", "checkpoint "+pos(5), "caught_up")
	})
	t.Run("nothing matches from start", func(t *testing.T) {
		// 24.10 reports the end of such a catch-up at (2^64-1, 2^64-1).
		sub := subscribe(t, filtered(esdb.Start{}, "zzz-", 32, 1))
		expectSeq(t, sub, "checkpoint "+strconv.FormatUint(math.MaxUint64, 10), "caught_up")
	})
	t.Run("event type filter", func(t *testing.T) {
		opts := filtered(esdb.Start{}, "e", 32, 1)
		opts.Filter.Type = esdb.EventFilterType
		sub := subscribe(t, opts)
		expectSeq(t, sub, "event a-x@0", "event b-x@0", "event b-x@1", "event a-x@1", "event b-x@2", "event b-x@3",
			"checkpoint "+pos(5), "caught_up")
	})
	t.Run("regex filter", func(t *testing.T) {
		opts := filtered(esdb.Start{}, "", 32, 1)
		opts.Filter.Prefixes, opts.Filter.Regex = nil, "^a-"
		sub := subscribe(t, opts)
		expectSeq(t, sub, "event a-x@0", "event a-x@1", "checkpoint "+pos(3), "caught_up")
	})
	t.Run("live checkpoints", func(t *testing.T) {
		sub := subscribe(t, filtered(esdb.End{}, "a-", 1, 2))
		expectSeq(t, sub, "caught_up")
		mustAppend(t, c, "b-x", esdb.Any{}, jsonEvents("e", 1)...)
		res := mustAppend(t, c, "a-x", esdb.Any{}, jsonEvents("e", 1)...)
		expectSeq(t, sub, "event a-x@2", "checkpoint "+strconv.FormatUint(res.CommitPosition, 10))
	})
}

func TestSubscribeToAllUnfiltered(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	mustAppend(t, c, "u", esdb.NoStream{}, jsonEvents("e", 2)...)
	sub, err := c.SubscribeToAll(testCtx(t), esdb.SubscribeToAllOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	// No checkpoints without a filter.
	expectSeq(t, sub, "event u@0", "event u@1", "caught_up")
	mustAppend(t, c, "u", esdb.Any{}, jsonEvents("e", 1)...)
	expectSeq(t, sub, "event u@2")
}

func TestDropSubscriptions(t *testing.T) {
	t.Parallel()
	srv, c := mustStart(t)
	sub, err := c.SubscribeToStream(testCtx(t), "d", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	expectSeq(t, sub, "caught_up")
	srv.DropSubscriptions()
	e := next(t, sub)
	if e.SubscriptionDropped == nil || status.Code(e.SubscriptionDropped.Error) != codes.Unavailable {
		t.Fatalf("got %s, want a drop with Unavailable", describe(e))
	}
	// The node itself is still up.
	mustAppend(t, c, "d", esdb.NoStream{}, jsonEvents("e", 1)...)
	sub2, err := c.SubscribeToStream(testCtx(t), "d", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatalf("resubscribe: %v", err)
	}
	defer sub2.Close()
	expectSeq(t, sub2, "event d@0", "caught_up")
}

func TestSubscriptionEndsOnClose(t *testing.T) {
	t.Parallel()
	srv, c := mustStart(t)
	sub, err := c.SubscribeToAll(testCtx(t), esdb.SubscribeToAllOptions{})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	expectSeq(t, sub, "caught_up")
	done := make(chan struct{})
	go func() { _ = srv.Close(); close(done) }()
	if e := next(t, sub); e.SubscriptionDropped == nil {
		t.Fatalf("got %s, want a drop", describe(e))
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung with a subscription open")
	}
}

// TestIdleSubscriptionSurvivesKeepalive holds a subscription idle past the
// point where a default grpc-go server would answer the client's 10 s
// keepalive pings with GOAWAY (about 30 s), then checks it still delivers.
func TestIdleSubscriptionSurvivesKeepalive(t *testing.T) {
	if testing.Short() {
		t.Skip("takes over a minute")
	}
	t.Parallel()
	_, c := mustStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sub, err := c.SubscribeToStream(ctx, "idle", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	expectSeq(t, sub, "caught_up")
	got := make(chan *esdb.SubscriptionEvent, 1)
	go func() { got <- sub.Recv() }()
	select {
	case e := <-got:
		t.Fatalf("idle subscription ended early: %s", describe(e))
	case <-time.After(65 * time.Second):
	}
	mustAppend(t, c, "idle", esdb.NoStream{}, jsonEvents("e", 1)...)
	select {
	case e := <-got:
		if describe(e) != "event idle@0" {
			t.Fatalf("got %s after the idle period, want event idle@0", describe(e))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event after the idle period")
	}
}
