package esdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/esdbserver"
)

// TestResumeAfterDrop drops every subscription while events keep being
// appended: both kinds must come back on their own and deliver each event
// exactly once, in order, the ones appended during the outage included.
func TestResumeAfterDrop(t *testing.T) {
	t.Parallel()
	srv := mustServer(t)
	// The first retry waits at least 150 ms: the appends below land while
	// the subscriptions are down.
	s := mustOpen(t, srv.URL(), esdb.WithBackoff(300*time.Millisecond, time.Second))
	stream := domain.StreamName("resume")
	byStream := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToStream(ctx, stream, 0, h, o)
	})
	byAll := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToAll(ctx, 0, domain.Filter{StreamPrefix: domain.StreamPrefix}, h, o)
	})
	var want []string
	appendN := func(n int) {
		evs := events(n)
		mustAppend(t, s, stream, domain.Any(), evs)
		mustAppend(t, s, "other-stream", domain.Any(), events(1))
		want = append(want, idsOf(evs)...)
	}
	appendN(3)
	for _, r := range []*recorder{byStream, byAll} {
		r.waitUntil(t, "the first catch-up", func(ids []string, c []int) bool { return len(ids) == 3 && len(c) == 1 })
	}

	srv.DropSubscriptions()
	appendN(2) // during the outage
	for _, r := range []*recorder{byStream, byAll} {
		r.waitUntil(t, "a second catch-up", func(_ []string, c []int) bool { return len(c) >= 2 })
	}
	appendN(2) // live again

	for name, r := range map[string]*recorder{"stream": byStream, "all": byAll} {
		r.waitUntil(t, "every event", func(ids []string, _ []int) bool { return len(ids) >= len(want) })
		ids, revs, caught := r.snapshot()
		if !slices.Equal(ids, want) {
			t.Errorf("%s subscription delivered %v, want %v", name, ids, want)
		}
		for i, rev := range revs {
			if rev != domain.Revision(i) {
				t.Errorf("%s subscription delivered revision %d as event #%d", name, rev, i)
			}
		}
		if len(caught) < 2 || caught[1] != 5 {
			t.Errorf("%s subscription caught up after %v events; want the outage's events before the second catch-up", name, caught)
		}
	}
}

// TestResumeAfterNodeOutage kills the node long enough for the official
// client to give up for good, then brings it back: the store must replace
// the client and the subscription must resume without gap or duplicate.
func TestResumeAfterNodeOutage(t *testing.T) {
	t.Parallel()
	srv := mustServer(t)
	s := mustOpen(t, srv.URL(), esdb.WithBackoff(50*time.Millisecond, 300*time.Millisecond))
	stream := domain.StreamName("outage")
	sub := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToAll(ctx, 0, domain.Filter{}, h, o)
	})
	before := events(2)
	mustAppend(t, s, stream, domain.NoStream(), before)
	sub.waitUntil(t, "the first events", func(ids []string, _ []int) bool { return len(ids) == 2 })

	srv.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.Append(ctx, stream, domain.Exact(1), events(1))
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("append during the outage: err = %v, want domain.ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Ping during the outage: err = %v, want domain.ErrUnavailable", err)
	}
	time.Sleep(1500 * time.Millisecond) // the client's ten discovery attempts run out
	if err := srv.Revive(); err != nil {
		t.Fatal(err)
	}

	after := events(2)
	mustAppend(t, s, stream, domain.Exact(1), after)
	want := append(idsOf(before), idsOf(after)...)
	sub.waitUntil(t, "the events after the outage", func(ids []string, _ []int) bool { return len(ids) >= 4 })
	if ids, _, _ := sub.snapshot(); !slices.Equal(ids, want) {
		t.Fatalf("delivered %v, want %v", ids, want)
	}
}

func TestSystemEventsAreSkipped(t *testing.T) {
	t.Parallel()
	srv := mustServer(t, esdbserver.WithSystemEvents())
	s := mustOpen(t, srv.URL())
	stream := domain.StreamName("sys")
	visible := events(2)
	mustAppend(t, s, stream, domain.NoStream(), visible[:1])
	mustAppend(t, s, "$projections-x", domain.Any(), events(1))
	sysType := events(1)
	sysType[0].Type = "$metadata"
	mustAppend(t, s, stream, domain.Exact(0), sysType)
	mustAppend(t, s, stream, domain.Exact(1), visible[1:])

	all, err := s.ReadAll(ctxFor(t), 0, 1)
	if err != nil || len(all) != 1 || all[0].ID != visible[0].ID {
		t.Fatalf("ReadAll(0, 1) = %v, %v; want only %s: system events neither show nor count", all, err, visible[0].ID)
	}
	sub := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToAll(ctx, 0, domain.Filter{}, h, o)
	})
	sub.waitUntil(t, "catch-up", func(_ []string, c []int) bool { return len(c) == 1 })
	if ids, _, _ := sub.snapshot(); !slices.Equal(ids, idsOf(visible)) {
		t.Fatalf("SubscribeToAll delivered %v, want %v", ids, idsOf(visible))
	}
}

// TestMetadataUsesEventStoreConventions checks the raw metadata a plain
// EventStoreDB client sees, and the round trip through the store.
func TestMetadataUsesEventStoreConventions(t *testing.T) {
	t.Parallel()
	srv := mustServer(t)
	s := mustOpen(t, srv.URL())
	stream := domain.StreamName("meta")
	evs := events(1)
	mustAppend(t, s, stream, domain.NoStream(), evs)

	cfg, err := client.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = client.NoopLogging()
	raw, err := client.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rs, err := raw.ReadStream(ctxFor(t), stream, client.ReadStreamOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	e, err := rs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(e.Event.UserMetadata, &m); err != nil {
		t.Fatalf("metadata %s is not JSON: %v", e.Event.UserMetadata, err)
	}
	want := map[string]any{
		"$correlationId": evs[0].Metadata.CorrelationID, "$causationId": evs[0].Metadata.CausationID,
		"schemaVersion": float64(1), "connection": "conn-1",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("raw metadata[%q] = %v, want %v (all: %s)", k, m[k], v, e.Event.UserMetadata)
		}
	}
	if e.Event.ContentType != "application/json" || e.Event.EventID.String() != evs[0].ID {
		t.Errorf("raw event = %s %s, want JSON with id %s", e.Event.ContentType, e.Event.EventID, evs[0].ID)
	}
	if _, err := rs.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("second Recv = %v, want EOF", err)
	}

	got, err := s.ReadStream(ctxFor(t), stream, 0, 10)
	if err != nil || len(got) != 1 || got[0].Metadata != evs[0].Metadata {
		t.Fatalf("ReadStream = %+v, %v; want metadata %+v", got, err, evs[0].Metadata)
	}
}

func TestConcurrentAppendersOneWins(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, mustServer(t).URL())
	stream := domain.StreamName("race")
	mustAppend(t, s, stream, domain.NoStream(), events(1))
	const workers = 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := make(chan struct{})
	for range workers {
		evs := events(1)
		wg.Go(func() {
			<-start
			_, err := s.Append(ctxFor(t), stream, domain.Exact(0), evs)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	wins := 0
	for err := range errs {
		var wev *domain.WrongExpectedVersionError
		switch {
		case err == nil:
			wins++
		case errors.As(err, &wev):
			if wev.ActualNoStream || wev.Actual != 1 || wev.Stream != stream || wev.Expected != domain.Exact(0) {
				t.Errorf("loser's error = %+v, want actual revision 1", wev)
			}
		default:
			t.Errorf("Append: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d appenders won, want exactly 1", wins)
	}
}

func TestIdempotentRetry(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, mustServer(t).URL())
	stream := domain.StreamName("retry")
	evs := events(3)
	first := mustAppend(t, s, stream, domain.NoStream(), evs)
	if again := mustAppend(t, s, stream, domain.NoStream(), evs); again != first {
		t.Fatalf("retry = %+v, want the original %+v", again, first)
	}
	got, err := s.ReadStream(ctxFor(t), stream, 0, 100)
	if err != nil || len(got) != 3 {
		t.Fatalf("stream holds %d events (%v), want 3", len(got), err)
	}
	if first.Position != got[2].Position || first.NextRevision != 2 {
		t.Fatalf("append result %+v does not point at the last event (%d)", first, got[2].Position)
	}
}
