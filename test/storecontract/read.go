package storecontract

import (
	"errors"
	"slices"
	"testing"

	"github.com/parley-chat/parley/domain"
)

var readCases = []testCase{
	{"missing stream is not found", testReadMissing},
	{"stream from a revision, at most max", testReadStreamRange},
	{"stream past its end is empty", testReadStreamPastEnd},
	{"all in global order", testReadAllOrder},
	{"all after a position, at most max", testReadAllRange},
	{"all in pages, each after the last event of the one before", testReadAllPages},
	{"all skips system streams and types", testReadAllSkipsSystem},
}

func testReadMissing(t *testing.T, e env) {
	s := e.open(t)
	_, err := s.ReadStream(testContext(t), streamName("conversation-missing"), 0, 10)
	if !errors.Is(err, domain.ErrStreamNotFound) {
		t.Fatalf("ReadStream of a missing stream: err = %v, want domain.ErrStreamNotFound", err)
	}
	if got := domain.ErrorCode(err); got != domain.CodeStreamNotFound {
		t.Errorf("ErrorCode = %q, want %q", got, domain.CodeStreamNotFound)
	}
}

func testReadStreamRange(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-range")
	evs := newEvents(5)
	mustAppend(t, s, stream, domain.NoStream(), evs[:2])
	mustAppend(t, s, stream, domain.Exact(1), evs[2:])
	got := mustReadStream(t, s, stream, 1, 2)
	if len(got) != 2 {
		t.Fatalf("ReadStream(from 1, max 2) returned %d events, want 2", len(got))
	}
	checkEvent(t, got[0], evs[1], stream, 1)
	checkEvent(t, got[1], evs[2], stream, 2)
	if rest := mustReadStream(t, s, stream, 3, 100); !slices.Equal(recordedIDs(rest), ids(evs[3:])) {
		t.Errorf("ReadStream(from 3) ids = %v, want %v", recordedIDs(rest), ids(evs[3:]))
	}
}

func testReadStreamPastEnd(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-end")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(2))
	for _, from := range []domain.Revision{2, 50} {
		got, err := s.ReadStream(testContext(t), stream, from, 10)
		if err != nil || len(got) != 0 {
			t.Errorf("ReadStream(from %d) of a 2-event stream = %d events, %v; want none, no error", from, len(got), err)
		}
	}
}

// appendInterleaved appends to three streams in turn and returns the ids in
// commit order.
func appendInterleaved(t *testing.T, s domain.EventStore, rounds int) []string {
	t.Helper()
	streams := []string{streamName("conversation-x"), streamName("conversation-y"), streamName("other-z")}
	var order []string
	for r := range rounds {
		for _, stream := range streams {
			expected := domain.NoStream()
			if r > 0 {
				expected = domain.Exact(domain.Revision(r - 1))
			}
			evs := newEvents(1)
			mustAppend(t, s, stream, expected, evs)
			order = append(order, evs[0].ID)
		}
	}
	return order
}

func testReadAllOrder(t *testing.T, e env) {
	s := e.open(t)
	order := appendInterleaved(t, s, 4)
	all := mustReadAll(t, s, 0, 1000)
	if !slices.Equal(recordedIDs(all), order) {
		t.Fatalf("ReadAll ids = %v, want commit order %v", recordedIDs(all), order)
	}
	checkOrder(t, all, e.f.ContiguousPositions)
}

func testReadAllRange(t *testing.T, e env) {
	s := e.open(t)
	order := appendInterleaved(t, s, 3)
	all := mustReadAll(t, s, 0, 1000)

	after := domain.After(all[3].Position)
	got := mustReadAll(t, s, after, 3)
	if !slices.Equal(recordedIDs(got), order[4:7]) {
		t.Errorf("ReadAll(after %d, max 3) ids = %v, want %v (after is exclusive)", after, recordedIDs(got), order[4:7])
	}
	if got := mustReadAll(t, s, domain.After(all[len(all)-1].Position), 10); len(got) != 0 {
		t.Errorf("ReadAll after the last event returned %d events, want none", len(got))
	}
	if got := mustReadAll(t, s, 0, 1); len(got) != 1 || got[0].ID != order[0] {
		t.Errorf("ReadAll(0, 1) = %v, want [%s]", recordedIDs(got), order[0])
	}
}

// testReadAllPages pages through $all as a copy or a rebuild does: each
// page after the last event of the one before. On EventStoreDB every page
// but the first starts at a position a plain read must accept.
func testReadAllPages(t *testing.T, e env) {
	s := e.open(t)
	order := appendInterleaved(t, s, 3)
	for _, size := range []int{1, 2, 5} {
		var got []string
		var after domain.After
		for {
			page := mustReadAll(t, s, after, size)
			got = append(got, recordedIDs(page)...)
			if len(page) < size {
				break
			}
			after = domain.After(page[len(page)-1].Position)
		}
		if !slices.Equal(got, order) {
			t.Errorf("pages of %d: ids = %v, want %v", size, got, order)
		}
	}
}

func testReadAllSkipsSystem(t *testing.T, e env) {
	if !e.f.SystemStreams {
		t.Skip("the store does not take appends to system streams (Features.SystemStreams)")
	}
	s := e.open(t)
	stream := streamName("conversation-sys")
	sysStream := "$" + streamName("sys")
	visible := newEvents(2)
	sysType := newEvents(1)
	sysType[0].Type = "$metadata"
	mustAppend(t, s, stream, domain.NoStream(), visible[:1])
	mustAppend(t, s, sysStream, domain.NoStream(), newEvents(2))
	mustAppend(t, s, stream, domain.Exact(0), sysType)
	mustAppend(t, s, stream, domain.Exact(1), visible[1:])

	if got := mustReadAll(t, s, 0, 100); !slices.Equal(recordedIDs(got), ids(visible)) {
		t.Errorf("ReadAll ids = %v, want only the non-system events %v", recordedIDs(got), ids(visible))
	}
	if n := streamLen(t, s, sysStream); n != 2 {
		t.Errorf("ReadStream of a system stream returned %d events, want 2: only $all reads skip them", n)
	}
}
