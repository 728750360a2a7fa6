package storecontract

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

// historyCases pin down what copying history from one store to another
// (parley migrate) relies on: a given recorded time survives every read
// path, and re-appending a stream event by event at exact revisions is a
// no-op, so that a copy can be run again safely.
var historyCases = []testCase{
	{"a given recorded time is kept", testRecordedKept},
	{"copying a stream again changes nothing", testCopyAgain},
	{"an empty append is invalid", testEmptyAppend},
}

func testRecordedKept(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-hist")
	// Nanoseconds and a zone other than UTC: neither may be lost.
	given := time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+2", 2*3600))
	evs := newEvents(3)
	evs[0].Recorded = given
	evs[2].Recorded = given.Add(time.Hour)
	sub := subscribeStream(t, s, stream, 0, nil)
	all := subscribeAll(t, s, 0, domain.Filter{StreamPrefix: stream}, nil)

	before := time.Now()
	mustAppend(t, s, stream, domain.NoStream(), evs)
	after := time.Now()

	check := func(path string, got []domain.RecordedEvent) {
		t.Helper()
		if len(got) != len(evs) {
			t.Fatalf("%s returned %d events, want %d", path, len(got), len(evs))
		}
		for i, g := range got {
			checkEvent(t, g, evs[i], stream, domain.Revision(i))
			if evs[i].Recorded.IsZero() {
				checkRecorded(t, g, before, after)
				continue
			}
			if !g.Recorded.Equal(evs[i].Recorded) || g.Recorded.Location() != time.UTC {
				t.Errorf("%s: event %d Recorded = %v, want the given %v in UTC", path, i, g.Recorded, evs[i].Recorded.UTC())
			}
		}
	}
	check("ReadStream", mustReadStream(t, s, stream, 0, 10))
	check("ReadAll", mustReadAll(t, s, 0, 10))
	live, _ := sub.collect(t, len(evs))
	check("SubscribeToStream", live)
	live, _ = all.collect(t, len(evs))
	check("SubscribeToAll", live)
}

// testCopyAgain appends a stream the way a copy does (each event at the
// exact revision before its own), then does it again.
func testCopyAgain(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-copy")
	evs := newEvents(4)
	first := make([]domain.AppendResult, len(evs))
	copyOnce := func(results []domain.AppendResult) {
		for i, ev := range evs {
			expected := domain.NoStream()
			if i > 0 {
				expected = domain.Exact(domain.Revision(i - 1))
			}
			results[i] = mustAppend(t, s, stream, expected, []domain.EventData{ev})
		}
	}
	copyOnce(first)
	again := make([]domain.AppendResult, len(evs))
	copyOnce(again)
	for i := range first {
		if again[i] != first[i] {
			t.Errorf("copying event %d again = %+v, want the first copy's %+v", i, again[i], first[i])
		}
	}
	if n := streamLen(t, s, stream); n != len(evs) {
		t.Errorf("stream holds %d events after copying it twice, want %d", n, len(evs))
	}
	// A different event at a copied revision is a conflict, never a no-op.
	_, err := s.Append(testContext(t), stream, domain.Exact(0), newEvents(1))
	requireWrongVersion(t, err, stream, domain.Exact(0), 3, false)
}

func testEmptyAppend(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-empty")
	for _, evs := range [][]domain.EventData{nil, {}} {
		_, err := s.Append(testContext(t), stream, domain.Any(), evs)
		if got := domain.ErrorCode(err); got != domain.CodeInvalid {
			t.Errorf("Append of no events: err = %v (code %q), want code %q", err, got, domain.CodeInvalid)
		}
	}
	if _, err := s.ReadStream(testContext(t), stream, 0, 1); !errors.Is(err, domain.ErrStreamNotFound) {
		t.Errorf("ReadStream after an empty append: err = %v, want domain.ErrStreamNotFound", err)
	}
}
