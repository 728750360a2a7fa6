package esdbserver_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parley-chat/parley/test/esdbserver"
)

func TestAppendThenRead(t *testing.T) {
	t.Parallel()
	before := time.Now().Add(-time.Second)
	_, c := mustStart(t)
	evs := jsonEvents("thing.happened.v1", 3)
	evs[2].ContentType = esdb.ContentTypeBinary
	res := mustAppend(t, c, "orders-1", esdb.NoStream{}, evs...)
	if res.NextExpectedVersion != 2 || res.CommitPosition == 0 || res.CommitPosition != res.PreparePosition {
		t.Fatalf("write result = %+v, want revision 2 and equal non-zero positions", res)
	}

	got := mustReadStream(t, c, "orders-1", esdb.ReadStreamOptions{}, ^uint64(0))
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	var prev uint64
	for i, re := range got {
		e := re.Event
		if e.EventID != evs[i].EventID || e.EventType != "thing.happened.v1" || e.StreamID != "orders-1" || e.EventNumber != uint64(i) {
			t.Errorf("event %d = %+v", i, e)
		}
		if string(e.Data) != string(evs[i].Data) || string(e.UserMetadata) != string(evs[i].Metadata) {
			t.Errorf("event %d payload = %s / %s", i, e.Data, e.UserMetadata)
		}
		wantCT := "application/json"
		if i == 2 {
			wantCT = "application/octet-stream"
		}
		if e.ContentType != wantCT {
			t.Errorf("event %d content type = %q, want %q", i, e.ContentType, wantCT)
		}
		if e.CreatedDate.Before(before) || e.CreatedDate.After(time.Now().Add(time.Second)) {
			t.Errorf("event %d created = %v, not around now", i, e.CreatedDate)
		}
		if re.Commit == nil || *re.Commit != e.Position.Commit || e.Position.Commit != e.Position.Prepare {
			t.Errorf("event %d positions = %+v / commit %v", i, e.Position, re.Commit)
		}
		// Positions must leave gaps, so that nobody can assume +1.
		if i > 0 && e.Position.Commit <= prev+1 {
			t.Errorf("event %d position %d right after %d; want a byte-offset-like gap", i, e.Position.Commit, prev)
		}
		prev = e.Position.Commit
	}
	if last := got[2].Event.Position.Commit; last != res.CommitPosition {
		t.Errorf("append reported position %d, last event read at %d", res.CommitPosition, last)
	}
	all := mustReadAll(t, c, esdb.ReadAllOptions{}, 100)
	if len(all) != 3 || all[2].Event.Position != got[2].Event.Position {
		t.Fatalf("$all = %d events, want the same 3 at the same positions", len(all))
	}
}

func TestWrongExpectedVersionAsTheClientReportsIt(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	mustAppend(t, c, "s-3", esdb.NoStream{}, jsonEvents("e", 3)...)
	cases := []struct {
		name   string
		stream string
		exp    esdb.ExpectedRevision
		want   string
	}{
		{"no_stream on an existing stream", "s-3", esdb.NoStream{}, "expecting 'no_stream' but got '2'"},
		{"stale revision", "s-3", esdb.Revision(5), "expecting '5' but got '2'"},
		{"stream_exists on a missing stream", "missing", esdb.StreamExists{}, "expecting 'stream_exists' but got 'no_stream'"},
		{"revision on a missing stream", "missing", esdb.Revision(0), "expecting '0' but got 'no_stream'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.AppendToStream(testCtx(t), tc.stream, esdb.AppendToStreamOptions{ExpectedRevision: tc.exp}, jsonEvents("e", 1)...)
			var e *esdb.Error
			if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
				t.Fatalf("err = %v, want ErrorCodeWrongExpectedVersion", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestIdempotentAppends(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	batch := jsonEvents("e", 3)
	first := mustAppend(t, c, "idem", esdb.NoStream{}, batch...)
	more := jsonEvents("e", 2)
	second := mustAppend(t, c, "idem", esdb.Revision(2), more...)

	same := func(t *testing.T, got, want *esdb.WriteResult) {
		t.Helper()
		if *got != *want {
			t.Fatalf("retry result = %+v, want the original %+v", got, want)
		}
	}
	t.Run("no_stream retry", func(t *testing.T) { same(t, mustAppend(t, c, "idem", esdb.NoStream{}, batch...), first) })
	t.Run("exact revision retry", func(t *testing.T) { same(t, mustAppend(t, c, "idem", esdb.Revision(2), more...), second) })
	t.Run("any retry", func(t *testing.T) { same(t, mustAppend(t, c, "idem", esdb.Any{}, more...), second) })
	t.Run("prefix retry", func(t *testing.T) {
		got := mustAppend(t, c, "idem", esdb.NoStream{}, batch[:2]...)
		if got.NextExpectedVersion != 1 {
			t.Fatalf("prefix retry = %+v, want revision 1", got)
		}
	})
	wev := func(t *testing.T, exp esdb.ExpectedRevision, evs ...esdb.EventData) {
		t.Helper()
		_, err := c.AppendToStream(testCtx(t), "idem", esdb.AppendToStreamOptions{ExpectedRevision: exp}, evs...)
		var e *esdb.Error
		if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
			t.Fatalf("err = %v, want wrong expected version", err)
		}
	}
	t.Run("different ids at an old revision", func(t *testing.T) { wev(t, esdb.NoStream{}, jsonEvents("e", 1)...) })
	t.Run("retry running past the end", func(t *testing.T) {
		wev(t, esdb.Revision(2), append(more[:2:2], jsonEvents("e", 1)...)...)
	})
	t.Run("any with a partly known batch", func(t *testing.T) {
		wev(t, esdb.Any{}, more[0], jsonEvents("e", 1)[0])
	})
	if n := len(mustReadStream(t, c, "idem", esdb.ReadStreamOptions{}, 100)); n != 5 {
		t.Fatalf("stream holds %d events after retries, want 5", n)
	}
	// Expected == current is a plain write with no id check: duplicates.
	mustAppend(t, c, "idem", esdb.Revision(4), more...)
	if n := len(mustReadStream(t, c, "idem", esdb.ReadStreamOptions{}, 100)); n != 7 {
		t.Fatalf("stream holds %d events, want 7 (duplicates stored)", n)
	}
}

func TestAppendValidation(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t, esdbserver.WithMaxAppendSize(64))
	_, err := c.AppendToStream(testCtx(t), "big", esdb.AppendToStreamOptions{}, esdb.EventData{
		EventID: uuid.New(), EventType: "e", Data: make([]byte, 100),
	})
	if status.Code(errors.Unwrap(err)) != codes.InvalidArgument {
		t.Errorf("oversized append: err = %v, want InvalidArgument", err)
	}
	_, err = c.AppendToStream(testCtx(t), "untyped", esdb.AppendToStreamOptions{}, esdb.EventData{EventID: uuid.New()})
	if status.Code(errors.Unwrap(err)) != codes.Unknown {
		t.Errorf("empty type: err = %v, want Unknown", err)
	}
}
