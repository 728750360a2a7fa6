package storecontract

import (
	"testing"

	"github.com/parley-chat/parley/domain"
)

// The idempotency cases follow EventStoreDB's rules for repeated event ids
// (its IndexWriter.CheckCommit): a retry of an append at the revision it was
// first made stores nothing and answers as the original did.
var idempotencyCases = []testCase{
	{"no_stream retry", testRetryNoStream},
	{"exact retry after later appends", testRetryExact},
	{"retry of a prefix of the original", testRetryPrefix},
	{"partial match is a conflict", testRetryPartial},
	{"retry at the current revision appends again", testRetryAtCurrent},
	{"any retry at the tail", testRetryAny},
	{"any retry that only starts at the tail is a conflict", testRetryAnyPartial},
	{"same id in another stream is not a duplicate", testSameIDOtherStream},
}

func testRetryNoStream(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-idem")
	evs := newEvents(2)
	first := mustAppend(t, s, stream, domain.NoStream(), evs)
	again := mustAppend(t, s, stream, domain.NoStream(), evs)
	if again != first {
		t.Errorf("retry result = %+v, want the original %+v", again, first)
	}
	if n := streamLen(t, s, stream); n != 2 {
		t.Errorf("stream holds %d events after a retry, want 2", n)
	}
}

func testRetryExact(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-idem")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(1))
	batch := newEvents(2)
	first := mustAppend(t, s, stream, domain.Exact(0), batch)
	mustAppend(t, s, stream, domain.Exact(2), newEvents(1))

	again := mustAppend(t, s, stream, domain.Exact(0), batch)
	if again != first {
		t.Errorf("retry result = %+v, want the original %+v", again, first)
	}
	if n := streamLen(t, s, stream); n != 4 {
		t.Errorf("stream holds %d events after a retry, want 4", n)
	}
}

func testRetryPrefix(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-idem")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(1))
	batch := newEvents(3)
	mustAppend(t, s, stream, domain.Exact(0), batch)
	stored := mustReadStream(t, s, stream, 1, 1)

	got := mustAppend(t, s, stream, domain.Exact(0), batch[:1])
	want := domain.AppendResult{NextRevision: 1, Position: stored[0].Position}
	if got != want {
		t.Errorf("retry of the first event = %+v, want %+v (the matching event's)", got, want)
	}
	if n := streamLen(t, s, stream); n != 4 {
		t.Errorf("stream holds %d events after a retry, want 4", n)
	}
}

func testRetryPartial(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-idem")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(1))
	batch := newEvents(2)
	mustAppend(t, s, stream, domain.Exact(0), batch)

	cases := map[string][]domain.EventData{
		"first matches, second differs": {batch[0], newEvents(1)[0]},
		"batch runs past the stream":    append(batch[:2:2], newEvents(1)...),
		"first differs":                 {newEvents(1)[0], batch[1]},
	}
	for name, evs := range cases {
		_, err := s.Append(testContext(t), stream, domain.Exact(0), evs)
		t.Run(name, func(t *testing.T) {
			requireWrongVersion(t, err, stream, domain.Exact(0), 2, false)
		})
	}
	if n := streamLen(t, s, stream); n != 3 {
		t.Errorf("stream holds %d events after conflicting retries, want 3", n)
	}
}

// testRetryAtCurrent pins an EventStoreDB quirk: when the expected revision
// is the current one, ids are not checked, so the same events go in again.
func testRetryAtCurrent(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-idem")
	evs := newEvents(1)
	mustAppend(t, s, stream, domain.NoStream(), evs)
	res := mustAppend(t, s, stream, domain.Exact(0), evs)
	if res.NextRevision != 1 {
		t.Errorf("NextRevision = %d, want 1: an append at the current revision is a new write", res.NextRevision)
	}
}

func testRetryAny(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-idem")
	mustAppend(t, s, stream, domain.Any(), newEvents(1))
	batch := newEvents(2)
	first := mustAppend(t, s, stream, domain.Any(), batch)
	for _, expected := range []domain.ExpectedRevision{domain.Any(), domain.StreamExists()} {
		again := mustAppend(t, s, stream, expected, batch)
		if again != first {
			t.Errorf("%s retry result = %+v, want the original %+v", expected, again, first)
		}
	}
	if n := streamLen(t, s, stream); n != 3 {
		t.Errorf("stream holds %d events after retries, want 3", n)
	}
}

func testRetryAnyPartial(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-idem")
	batch := newEvents(2)
	mustAppend(t, s, stream, domain.Any(), batch)
	evs := []domain.EventData{batch[1], newEvents(1)[0]}
	_, err := s.Append(testContext(t), stream, domain.Any(), evs)
	requireWrongVersion(t, err, stream, domain.Any(), 1, false)
}

func testSameIDOtherStream(t *testing.T, e env) {
	s := e.open(t)
	a, b := streamName("conversation-a"), streamName("conversation-b")
	evs := newEvents(1)
	ra := mustAppend(t, s, a, domain.NoStream(), evs)
	rb := mustAppend(t, s, b, domain.NoStream(), evs)
	if rb.Position == ra.Position {
		t.Errorf("append to %s returned %+v, the result of the append to %s", b, rb, a)
	}
	got := mustReadStream(t, s, b, 0, 10)
	if len(got) != 1 || got[0].ID != evs[0].ID {
		t.Fatalf("stream %s = %v, want the event %s", b, recordedIDs(got), evs[0].ID)
	}
}
