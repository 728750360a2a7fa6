package storecontract

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parley-chat/parley/domain"
)

var concurrencyCases = []testCase{
	{"one of 20 exact appends wins", func(t *testing.T, e env) { testOneWins(t, e, true) }},
	{"one of 20 no_stream appends wins", func(t *testing.T, e env) { testOneWins(t, e, false) }},
	{"appends to different streams all land", testManyStreams},
}

// testOneWins releases 20 appends with the same condition at once: exactly
// one may succeed, the others must see the winner's event.
func testOneWins(t *testing.T, e env, exact bool) {
	const workers = 20
	s := e.open(t)
	stream := streamName("conversation-race")
	expected := domain.NoStream()
	if exact {
		mustAppend(t, s, stream, domain.NoStream(), newEvents(1))
		expected = domain.Exact(0)
	}

	ctx := testContext(t)
	start := make(chan struct{})
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		evs := newEvents(1)
		wg.Go(func() {
			<-start
			_, err := s.Append(ctx, stream, expected, evs)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)

	wantActual := domain.Revision(0) // the winner's event
	if exact {
		wantActual = 1
	}
	wins := 0
	for err := range errs {
		var wev *domain.WrongExpectedVersionError
		switch {
		case err == nil:
			wins++
		case errors.As(err, &wev):
			if wev.ActualNoStream || wev.Actual != wantActual {
				t.Errorf("loser saw actual revision %d (noStream %v), want %d: the winner's event",
					wev.Actual, wev.ActualNoStream, wantActual)
			}
		default:
			t.Errorf("Append: %v, want success or a wrong expected version", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d appends with %s won, want exactly 1", wins, workers, expected)
	}
	want := 1
	if exact {
		want = 2
	}
	if n := streamLen(t, s, stream); n != want {
		t.Errorf("stream holds %d events, want %d", n, want)
	}
}

// testManyStreams appends from many goroutines, each to its own stream:
// all must succeed, and ReadAll must hold every event once, each stream's
// events in their order.
func testManyStreams(t *testing.T, e env) {
	const workers, perWorker = 16, 20
	s := e.open(t)
	ctx := testContext(t)
	start := make(chan struct{})
	type result struct {
		stream string
		ids    []string
		err    error
	}
	results := make(chan result, workers)
	for w := range workers {
		stream := streamName(fmt.Sprintf("conversation-w%d", w))
		go func() {
			<-start
			r := result{stream: stream}
			expected := domain.NoStream()
			for i := range perWorker {
				evs := newEvents(1 + i%2)
				res, err := s.Append(ctx, stream, expected, evs)
				if err != nil {
					r.err = fmt.Errorf("append %d to %s: %w", i, stream, err)
					break
				}
				r.ids = append(r.ids, ids(evs)...)
				expected = domain.Exact(res.NextRevision)
			}
			results <- r
		}()
	}
	close(start)

	want := make(map[string][]string)
	total := 0
	for range workers {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		want[r.stream] = r.ids
		total += len(r.ids)
	}
	all := mustReadAll(t, s, 0, 10*total)
	if len(all) != total {
		t.Fatalf("ReadAll returned %d events, want %d", len(all), total)
	}
	checkOrder(t, all, e.f.ContiguousPositions)
	next := make(map[string]int)
	for _, ev := range all {
		i := next[ev.Stream]
		if i >= len(want[ev.Stream]) || want[ev.Stream][i] != ev.ID || ev.Revision != domain.Revision(i) {
			t.Fatalf("ReadAll has event %s of %s at revision %d out of place (expected #%d of the stream)",
				ev.ID, ev.Stream, ev.Revision, i)
		}
		next[ev.Stream] = i + 1
	}
}
