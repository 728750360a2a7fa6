package storecontract

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/parley-chat/parley/domain"
)

var durabilityCases = []testCase{
	{"events survive reopen", testSurviveReopen},
	{"appends continue after reopen", testContinueAfterReopen},
	{"acknowledged appends survive close under load", testCloseUnderLoad},
}

func requireReopen(t *testing.T, e env) {
	if e.f.Reopen == nil {
		t.Skip("the store cannot be reopened over the same data (Features.Reopen)")
	}
}

func testSurviveReopen(t *testing.T, e env) {
	requireReopen(t, e)
	s := e.open(t)
	a, b := streamName("conversation-a"), streamName("conversation-b")
	mustAppend(t, s, a, domain.NoStream(), newEvents(3))
	mustAppend(t, s, b, domain.NoStream(), newEvents(1))
	mustAppend(t, s, a, domain.Exact(2), newEvents(2))
	before := mustReadAll(t, s, 0, 100)

	s = e.f.Reopen(t, s)
	after := mustReadAll(t, s, 0, 100)
	if len(after) != len(before) {
		t.Fatalf("ReadAll after reopen returned %d events, want %d", len(after), len(before))
	}
	for i := range before {
		x, y := before[i], after[i]
		if x.ID != y.ID || x.Stream != y.Stream || x.Type != y.Type || x.Revision != y.Revision ||
			x.Position != y.Position || !bytes.Equal(x.Data, y.Data) || x.Metadata != y.Metadata ||
			!x.Recorded.Equal(y.Recorded) {
			t.Errorf("event #%d after reopen = %+v, want %+v", i, y, x)
		}
	}
	if n := streamLen(t, s, a); n != 5 {
		t.Errorf("stream %s holds %d events after reopen, want 5", a, n)
	}
}

func testContinueAfterReopen(t *testing.T, e env) {
	requireReopen(t, e)
	s := e.open(t)
	stream := streamName("conversation-cont")
	first := newEvents(2)
	r1 := mustAppend(t, s, stream, domain.NoStream(), first)

	s = e.f.Reopen(t, s)
	if again := mustAppend(t, s, stream, domain.NoStream(), first); again != r1 {
		t.Errorf("retry after reopen = %+v, want the original %+v", again, r1)
	}
	_, err := s.Append(testContext(t), stream, domain.NoStream(), newEvents(1))
	requireWrongVersion(t, err, stream, domain.NoStream(), 1, false)
	r2 := mustAppend(t, s, stream, domain.Exact(1), newEvents(1))
	if r2.NextRevision != 2 || r2.Position <= r1.Position {
		t.Errorf("append after reopen = %+v, want revision 2 and a position after %d", r2, r1.Position)
	}
	all := mustReadAll(t, s, 0, 100)
	checkOrder(t, all, e.f.ContiguousPositions)
}

// testCloseUnderLoad closes the store while appends are in flight: every
// append that reported success must be there after reopening, and appends
// to the closed store must fail rather than hang or panic.
func testCloseUnderLoad(t *testing.T, e env) {
	requireReopen(t, e)
	const workers = 8
	old := e.open(t)
	ctx := testContext(t)
	acked := make(chan string, 1<<14)
	started := make(chan struct{}, workers*4)
	var wg sync.WaitGroup
	for w := range workers {
		stream := streamName(fmt.Sprintf("conversation-close%d", w))
		wg.Go(func() {
			expected := domain.NoStream()
			for {
				evs := newEvents(1)
				res, err := old.Append(ctx, stream, expected, evs)
				if err != nil {
					return
				}
				acked <- evs[0].ID
				select {
				case started <- struct{}{}:
				default:
				}
				expected = domain.Exact(res.NextRevision)
			}
		})
	}
	for range workers * 2 {
		waitSignal(t, started, "appends to be acknowledged")
	}
	s := e.f.Reopen(t, old)
	wg.Wait()
	close(acked)

	stored := make(map[string]bool)
	for _, ev := range mustReadAll(t, s, 0, 1<<20) {
		stored[ev.ID] = true
	}
	n := 0
	for id := range acked {
		n++
		if !stored[id] {
			t.Errorf("acknowledged event %s is missing after reopen", id)
		}
	}
	if n == 0 {
		t.Fatal("no append was acknowledged before close")
	}
}

func waitSignalOrValue(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	waitSignal(t, ch, "appends to be acknowledged")
}
