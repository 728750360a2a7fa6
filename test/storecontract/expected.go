package storecontract

import (
	"errors"
	"testing"

	"github.com/parley-chat/parley/domain"
)

var expectedCases = []testCase{
	{"conditions", testExpectedRevisions},
	{"failed append stores nothing", testFailedAppendStoresNothing},
}

// testExpectedRevisions runs every kind of condition against a missing and
// an existing stream. Appends here use new ids, so idempotency never applies.
func testExpectedRevisions(t *testing.T, e env) {
	cases := map[string]struct {
		existing int // events in the stream before the append
		expected domain.ExpectedRevision
		ok       bool
		actual   domain.Revision // when !ok and existing > 0
	}{
		"any on a missing stream":            {0, domain.Any(), true, 0},
		"any on an existing stream":          {2, domain.Any(), true, 0},
		"no_stream on a missing stream":      {0, domain.NoStream(), true, 0},
		"no_stream on an existing stream":    {2, domain.NoStream(), false, 1},
		"stream_exists on a missing stream":  {0, domain.StreamExists(), false, 0},
		"stream_exists on an existing one":   {2, domain.StreamExists(), true, 0},
		"exact last revision":                {2, domain.Exact(1), true, 0},
		"exact revision ahead of the stream": {2, domain.Exact(5), false, 1},
		"exact revision behind the stream":   {3, domain.Exact(0), false, 2},
		"exact revision on a missing stream": {0, domain.Exact(0), false, 0},
	}
	s := e.open(t)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stream := streamName("conversation-exp")
			if c.existing > 0 {
				mustAppend(t, s, stream, domain.NoStream(), newEvents(c.existing))
			}
			evs := newEvents(2)
			res, err := s.Append(testContext(t), stream, c.expected, evs)
			if !c.ok {
				requireWrongVersion(t, err, stream, c.expected, c.actual, c.existing == 0)
				if n := streamLen(t, s, stream); n != c.existing {
					t.Errorf("stream holds %d events after a failed append, want %d", n, c.existing)
				}
				return
			}
			if err != nil {
				t.Fatalf("Append(%s) on a stream of %d events: %v", c.expected, c.existing, err)
			}
			if want := domain.Revision(c.existing + 1); res.NextRevision != want {
				t.Errorf("NextRevision = %d, want %d", res.NextRevision, want)
			}
			if n := streamLen(t, s, stream); n != c.existing+2 {
				t.Errorf("stream holds %d events, want %d", n, c.existing+2)
			}
		})
	}
}

// testFailedAppendStoresNothing checks a multi-event append is atomic when
// it fails: no event of the batch is visible anywhere.
func testFailedAppendStoresNothing(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-atomic")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(1))
	evs := newEvents(3)
	_, err := s.Append(testContext(t), stream, domain.Exact(7), evs)
	var wev *domain.WrongExpectedVersionError
	if !errors.As(err, &wev) {
		t.Fatalf("Append with a wrong revision: err = %v, want a wrong expected version", err)
	}
	for _, ev := range mustReadAll(t, s, 0, 100) {
		for _, id := range ids(evs) {
			if ev.ID == id {
				t.Fatalf("event %s of a failed append is in ReadAll", id)
			}
		}
	}
}
