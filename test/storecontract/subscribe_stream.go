package storecontract

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

var streamSubscriptionCases = []testCase{
	{"catches up, then goes live", testStreamCatchUpThenLive},
	{"from is inclusive", testStreamFromInclusive},
	{"from past the end waits for it", testStreamFromPastEnd},
	{"missing stream is waited for", testStreamMissing},
	{"appends while catching up arrive once, in order", testStreamAppendsDuringCatchUp},
	{"from End delivers only later events", testStreamFromEnd},
}

func testStreamCatchUpThenLive(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-sub")
	other := streamName("conversation-other")
	past, live := newEvents(3), newEvents(2)
	mustAppend(t, s, stream, domain.NoStream(), past[:1])
	mustAppend(t, s, other, domain.NoStream(), newEvents(2))
	mustAppend(t, s, stream, domain.Exact(0), past[1:])

	sub := subscribeStream(t, s, stream, 0, nil)
	got := sub.expect(t, ids(past))
	for i := range got {
		checkEvent(t, got[i], past[i], stream, domain.Revision(i))
	}
	sub.caughtUp(t)

	mustAppend(t, s, other, domain.Exact(1), newEvents(1))
	mustAppend(t, s, stream, domain.Exact(2), live[:1])
	mustAppend(t, s, stream, domain.Exact(3), live[1:])
	got = sub.expect(t, ids(live))
	checkEvent(t, got[1], live[1], stream, 4)
	if err := sub.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("SubscribeToStream after cancel returned %v, want context.Canceled", err)
	}
}

func testStreamFromInclusive(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-sub")
	evs := newEvents(5)
	mustAppend(t, s, stream, domain.NoStream(), evs)
	sub := subscribeStream(t, s, stream, 2, nil)
	got := sub.expect(t, ids(evs[2:]))
	if got[0].Revision != 2 {
		t.Errorf("first delivered revision = %d, want 2", got[0].Revision)
	}
	sub.caughtUp(t)
}

func testStreamFromPastEnd(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-sub")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(2))
	sub := subscribeStream(t, s, stream, 4, nil)
	sub.caughtUp(t)
	later := newEvents(4) // revisions 2..5
	mustAppend(t, s, stream, domain.Exact(1), later[:3])
	mustAppend(t, s, stream, domain.Exact(4), later[3:])
	got := sub.expect(t, ids(later[2:]))
	if got[0].Revision != 4 {
		t.Errorf("first delivered revision = %d, want 4", got[0].Revision)
	}
}

func testStreamMissing(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-new")
	sub := subscribeStream(t, s, stream, 0, nil)
	sub.caughtUp(t)
	evs := newEvents(2)
	mustAppend(t, s, stream, domain.NoStream(), evs)
	sub.expect(t, ids(evs))
}

// testStreamAppendsDuringCatchUp holds the handler on the first historical
// event while more events are appended, so that live events provably land
// while the subscription is still catching up.
func testStreamAppendsDuringCatchUp(t *testing.T, e env) {
	const before, during = 30, 20
	s := e.open(t)
	stream := streamName("conversation-sub")
	var want []string
	for i := range before / 10 {
		evs := newEvents(10)
		expected := domain.NoStream()
		if i > 0 {
			expected = domain.Exact(domain.Revision(10*i - 1))
		}
		mustAppend(t, s, stream, expected, evs)
		want = append(want, ids(evs)...)
	}

	first, release := make(chan struct{}), make(chan struct{})
	held := false
	sub := subscribeStream(t, s, stream, 0, func(ctx context.Context, e domain.RecordedEvent) error {
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
	for i := range during {
		evs := newEvents(1)
		mustAppend(t, s, stream, domain.Exact(domain.Revision(before+i-1)), evs)
		want = append(want, evs[0].ID)
	}
	close(release)

	got, caughtAt := sub.collect(t, before+during)
	for i, ev := range got {
		if ev.ID != want[i] || ev.Revision != domain.Revision(i) {
			t.Fatalf("event #%d delivered is %s at revision %d, want %s at revision %d", i, ev.ID, ev.Revision, want[i], i)
		}
	}
	if caughtAt >= 0 && caughtAt < before {
		t.Fatalf("OnCaughtUp after %d events, before the %d that existed at subscribe time", caughtAt, before)
	}
	sentinel := newEvents(1)
	mustAppend(t, s, stream, domain.Exact(before+during-1), sentinel)
	if caughtAt < 0 {
		sub.caughtUp(t)
	}
	sub.expect(t, ids(sentinel))
}

func testStreamFromEnd(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-end")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(3))
	sub := subscribeStream(t, s, stream, domain.End, nil)
	sub.caughtUp(t)
	later := newEvents(2)
	mustAppend(t, s, stream, domain.Exact(2), later)
	got := sub.expect(t, ids(later))
	if got[0].Revision != 3 {
		t.Errorf("first delivered revision = %d, want 3", got[0].Revision)
	}

	missing := subscribeStream(t, s, streamName("conversation-none"), domain.End, nil)
	missing.caughtUp(t)
}

func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-t.Context().Done():
		t.Fatalf("test ended waiting for %s", what)
	case <-time.After(waitFor):
		t.Fatalf("waited %v for %s", waitFor, what)
	}
}
