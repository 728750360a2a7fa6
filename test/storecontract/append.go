package storecontract

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

var appendCases = []testCase{
	{"round trip", testRoundTrip},
	{"revisions continue across appends", testRevisionsContinue},
	{"streams are independent", testStreamsIndependent},
	{"big event round trips", testBigEvent},
}

func testRoundTrip(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-rt")
	evs := newEvents(3)

	before := time.Now()
	res := mustAppend(t, s, stream, domain.NoStream(), evs)
	after := time.Now()

	if res.NextRevision != 2 {
		t.Errorf("NextRevision = %d, want 2 (the revision of the last of 3 events)", res.NextRevision)
	}
	got := mustReadStream(t, s, stream, 0, 100)
	if len(got) != len(evs) {
		t.Fatalf("ReadStream returned %d events, want %d", len(got), len(evs))
	}
	for i := range evs {
		checkEvent(t, got[i], evs[i], stream, domain.Revision(i))
		checkRecorded(t, got[i], before, after)
	}
	checkOrder(t, got, e.f.ContiguousPositions)
	if last := got[len(got)-1].Position; res.Position != last {
		t.Errorf("AppendResult.Position = %d, want %d (the last event's position)", res.Position, last)
	}

	all := mustReadAll(t, s, 0, 100)
	if !slices.Equal(recordedIDs(all), ids(evs)) {
		t.Fatalf("ReadAll ids = %v, want %v", recordedIDs(all), ids(evs))
	}
	for i := range all {
		checkEvent(t, all[i], evs[i], stream, domain.Revision(i))
		if all[i].Position != got[i].Position || !all[i].Recorded.Equal(got[i].Recorded) {
			t.Errorf("ReadAll event %d has position %d recorded %v; ReadStream said %d, %v",
				i, all[i].Position, all[i].Recorded, got[i].Position, got[i].Recorded)
		}
	}
	if e.f.ContiguousPositions && all[0].Position != 1 {
		t.Errorf("first position in an empty store = %d, want 1", all[0].Position)
	}
}

func testRevisionsContinue(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-cont")
	first, second := newEvents(2), newEvents(3)
	r1 := mustAppend(t, s, stream, domain.NoStream(), first)
	r2 := mustAppend(t, s, stream, domain.Exact(r1.NextRevision), second)
	if r2.NextRevision != 4 {
		t.Errorf("NextRevision after 2+3 events = %d, want 4", r2.NextRevision)
	}
	if r2.Position <= r1.Position {
		t.Errorf("second append position %d is not after the first's %d", r2.Position, r1.Position)
	}
	got := mustReadStream(t, s, stream, 0, 100)
	want := append(first, second...)
	if len(got) != len(want) {
		t.Fatalf("ReadStream returned %d events, want %d", len(got), len(want))
	}
	for i := range want {
		checkEvent(t, got[i], want[i], stream, domain.Revision(i))
	}
	checkOrder(t, got, e.f.ContiguousPositions)
}

func testStreamsIndependent(t *testing.T, e env) {
	s := e.open(t)
	a, b := streamName("conversation-a"), streamName("conversation-b")
	ea, eb := newEvents(2), newEvents(3)
	mustAppend(t, s, a, domain.NoStream(), ea[:1])
	mustAppend(t, s, b, domain.NoStream(), eb[:2])
	mustAppend(t, s, a, domain.Exact(0), ea[1:])
	rb := mustAppend(t, s, b, domain.Exact(1), eb[2:])
	if rb.NextRevision != 2 {
		t.Errorf("stream b NextRevision = %d, want 2: revisions count per stream", rb.NextRevision)
	}
	for stream, want := range map[string][]domain.EventData{a: ea, b: eb} {
		got := mustReadStream(t, s, stream, 0, 100)
		if !slices.Equal(recordedIDs(got), ids(want)) {
			t.Errorf("ReadStream(%q) ids = %v, want %v", stream, recordedIDs(got), ids(want))
		}
	}
}

// testBigEvent appends one event of 1 MiB of JSON, far above the small events
// of a chat but well within what every store must hold (EventStoreDB: 16 MiB).
func testBigEvent(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-big")
	ev := newEvents(1)[0]
	ev.Data = []byte(fmt.Sprintf(`{"blob":%q}`, strings.Repeat("0123456789abcdef", 1<<16)))
	small := newEvents(1)
	mustAppend(t, s, stream, domain.NoStream(), []domain.EventData{ev})
	mustAppend(t, s, stream, domain.Exact(0), small)

	got := mustReadStream(t, s, stream, 0, 10)
	if len(got) != 2 {
		t.Fatalf("ReadStream returned %d events, want 2", len(got))
	}
	checkEvent(t, got[0], ev, stream, 0)
	checkEvent(t, got[1], small[0], stream, 1)
	all := mustReadAll(t, s, 0, 10)
	if len(all) != 2 || !bytes.Equal(all[0].Data, ev.Data) {
		t.Fatalf("ReadAll did not return the big event intact (%d events)", len(all))
	}
	sub := subscribeStream(t, s, stream, 0, nil)
	if got := sub.event(t); !bytes.Equal(got.Data, ev.Data) {
		t.Fatalf("subscription delivered %d bytes of data, want %d", len(got.Data), len(ev.Data))
	}
}
