package storecontract

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

var allSubscriptionCases = []testCase{
	{"catches up, then goes live, filtered by prefix", testAllCatchUpThenLive},
	{"after is exclusive", testAllAfterExclusive},
	{"appends while catching up arrive once, in order", testAllAppendsDuringCatchUp},
	{"skips system streams and types", testAllSkipsSystem},
	{"from End delivers only later events", testAllFromEnd},
}

// prefixed appends one event to each of the streams in turn and returns the
// ids of those whose name starts with prefix, in commit order.
func prefixed(t *testing.T, s domain.EventStore, prefix string, streams []string, heads map[string]int) []string {
	t.Helper()
	var out []string
	for _, stream := range streams {
		expected := domain.NoStream()
		if n, ok := heads[stream]; ok {
			expected = domain.Exact(domain.Revision(n - 1))
		}
		evs := newEvents(1)
		mustAppend(t, s, stream, expected, evs)
		heads[stream]++
		if strings.HasPrefix(stream, prefix) {
			out = append(out, evs[0].ID)
		}
	}
	return out
}

func testAllCatchUpThenLive(t *testing.T, e env) {
	s := e.open(t)
	prefix := streamName("alpha")
	streams := []string{prefix + "-1", streamName("beta"), prefix + "-2", streamName("alph")}
	heads := make(map[string]int)
	var want []string
	for range 3 {
		want = append(want, prefixed(t, s, prefix, streams, heads)...)
	}

	sub := subscribeAll(t, s, 0, domain.Filter{StreamPrefix: prefix}, nil)
	got := sub.expect(t, want)
	checkOrder(t, got, false)
	sub.caughtUp(t)

	live := prefixed(t, s, prefix, streams, heads)
	got = append(got, sub.expect(t, live)...)
	checkOrder(t, got, false)
	if err := sub.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("SubscribeToAll after cancel returned %v, want context.Canceled", err)
	}
}

func testAllAfterExclusive(t *testing.T, e env) {
	s := e.open(t)
	evs := newEvents(5)
	stream := streamName("conversation-from")
	for i, ev := range evs {
		exp := domain.Exact(domain.Revision(i - 1))
		if i == 0 {
			exp = domain.NoStream()
		}
		mustAppend(t, s, stream, exp, []domain.EventData{ev})
	}
	all := mustReadAll(t, s, 0, 100)
	sub := subscribeAll(t, s, domain.After(all[1].Position), domain.Filter{}, nil)
	sub.expect(t, ids(evs[2:]))
	sub.caughtUp(t)
	// Resuming after the last event goes straight to live events.
	last := subscribeAll(t, s, domain.After(all[4].Position), domain.Filter{}, nil)
	last.caughtUp(t)
	more := newEvents(1)
	mustAppend(t, s, stream, domain.Exact(4), more)
	last.expect(t, ids(more))
}

func testAllAppendsDuringCatchUp(t *testing.T, e env) {
	const before, during = 30, 20
	s := e.open(t)
	prefix := streamName("alpha")
	streams := []string{prefix + "-1", streamName("beta"), prefix + "-2"}
	heads := make(map[string]int)
	var want []string
	for len(want) < before {
		want = append(want, prefixed(t, s, prefix, streams, heads)...)
	}
	existing := len(want)

	first, release := make(chan struct{}), make(chan struct{})
	held := false
	filter := domain.Filter{StreamPrefix: prefix}
	sub := subscribeAll(t, s, 0, filter, func(ctx context.Context, _ domain.RecordedEvent) error {
		if held {
			return nil
		}
		held = true
		close(first)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	waitSignal(t, first, "the first event to reach the handler")
	for len(want) < existing+during {
		want = append(want, prefixed(t, s, prefix, streams, heads)...)
	}
	close(release)

	got, caughtAt := sub.collect(t, len(want))
	for i, ev := range got {
		if ev.ID != want[i] {
			t.Fatalf("event #%d delivered is %s (stream %s), want %s", i, ev.ID, ev.Stream, want[i])
		}
	}
	checkOrder(t, got, false)
	if caughtAt >= 0 && caughtAt < existing {
		t.Fatalf("OnCaughtUp after %d events, before the %d that existed at subscribe time", caughtAt, existing)
	}
	sentinel := newEvents(1)
	mustAppend(t, s, prefix+"-1", domain.Exact(domain.Revision(heads[prefix+"-1"]-1)), sentinel)
	if caughtAt < 0 {
		sub.caughtUp(t)
	}
	sub.expect(t, ids(sentinel))
}

func testAllSkipsSystem(t *testing.T, e env) {
	if !e.f.SystemStreams {
		t.Skip("the store does not take appends to system streams (Features.SystemStreams)")
	}
	s := e.open(t)
	stream := streamName("conversation-sys")
	visible := newEvents(3)
	sysType := newEvents(1)
	sysType[0].Type = "$metadata"
	mustAppend(t, s, stream, domain.NoStream(), visible[:1])
	mustAppend(t, s, "$"+streamName("conversation"), domain.NoStream(), newEvents(1))
	mustAppend(t, s, stream, domain.Exact(0), sysType)

	for name, f := range map[string]domain.Filter{"no filter": {}, "prefix filter": {StreamPrefix: "$"}} {
		t.Run(name, func(t *testing.T) {
			sub := subscribeAll(t, s, 0, f, nil)
			if f.StreamPrefix == "" {
				sub.expect(t, ids(visible[:1]))
			}
			sub.caughtUp(t)
		})
	}
	sub := subscribeAll(t, s, 0, domain.Filter{}, nil)
	sub.expect(t, ids(visible[:1]))
	sub.caughtUp(t)
	mustAppend(t, s, "$"+streamName("conversation"), domain.NoStream(), newEvents(1))
	mustAppend(t, s, stream, domain.Exact(1), visible[1:])
	sub.expect(t, ids(visible[1:]))
}

func testAllFromEnd(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-end")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(3))
	sub := subscribeAll(t, s, domain.End, domain.Filter{}, nil)
	sub.caughtUp(t)
	later := newEvents(2)
	mustAppend(t, s, stream, domain.Exact(2), later[:1])
	mustAppend(t, s, streamName("conversation-other"), domain.NoStream(), later[1:])
	sub.expect(t, ids(later))
}
