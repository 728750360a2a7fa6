package esdbserver_test

import (
	"errors"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parley-chat/parley/test/esdbserver"
)

func TestReadMissingStream(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	rs, err := c.ReadStream(testCtx(t), "nope", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("ReadStream: %v", err)
	}
	_, err = drain(rs)
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("err = %v, want ErrorCodeResourceNotFound", err)
	}
}

func TestReadDirectionsAndBounds(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	mustAppend(t, c, "r", esdb.NoStream{}, jsonEvents("e", 5)...)
	revs := func(evs []*esdb.ResolvedEvent) []uint64 {
		out := []uint64{}
		for _, e := range evs {
			out = append(out, e.Event.EventNumber)
		}
		return out
	}
	cases := []struct {
		name  string
		opts  esdb.ReadStreamOptions
		count uint64
		want  []uint64
	}{
		{"forwards from 2, inclusive", esdb.ReadStreamOptions{From: esdb.Revision(2)}, 2, []uint64{2, 3}},
		{"forwards past the end", esdb.ReadStreamOptions{From: esdb.Revision(9)}, 2, []uint64{}},
		{"forwards from end", esdb.ReadStreamOptions{From: esdb.End{}}, 2, []uint64{}},
		{"backwards from end", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 2, []uint64{4, 3}},
		{"backwards from 1", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(1)}, 5, []uint64{1, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := revs(mustReadStream(t, c, "r", tc.opts, tc.count))
			if len(got) != len(tc.want) {
				t.Fatalf("revisions = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("revisions = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestReadAllPositions(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	mustAppend(t, c, "a", esdb.NoStream{}, jsonEvents("e", 2)...)
	mustAppend(t, c, "b", esdb.NoStream{}, jsonEvents("e", 2)...)
	all := mustReadAll(t, c, esdb.ReadAllOptions{}, 100)
	if len(all) != 4 {
		t.Fatalf("$all holds %d events, want 4", len(all))
	}
	second := all[1].Event.Position

	from := mustReadAll(t, c, esdb.ReadAllOptions{From: second}, 100)
	if len(from) != 3 || from[0].Event.Position != second {
		t.Fatalf("read from %v returned %d events, want 3 starting there (inclusive)", second, len(from))
	}
	back := mustReadAll(t, c, esdb.ReadAllOptions{From: second, Direction: esdb.Backwards}, 100)
	if len(back) != 1 || back[0].Event.Position != all[0].Event.Position {
		t.Fatalf("backwards from %v returned %d events, want only the first", second, len(back))
	}
	if got := mustReadAll(t, c, esdb.ReadAllOptions{From: esdb.End{}}, 100); len(got) != 0 {
		t.Fatalf("forwards from End returned %d events", len(got))
	}

	// One past a real position is inside a record: a plain read, either
	// way, ends in the node's default branch (Unknown), a subscription gets
	// InvalidArgument.
	inside := esdb.Position{Commit: second.Commit + 1, Prepare: second.Commit + 1}
	for _, dir := range []esdb.Direction{esdb.Forwards, esdb.Backwards} {
		rs, err := c.ReadAll(testCtx(t), esdb.ReadAllOptions{From: inside, Direction: dir}, 10)
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		_, err = drain(rs)
		st, _ := status.FromError(errors.Unwrap(err))
		if st.Code() != codes.Unknown || st.Message() != "Unexpected ReadAllResult: InvalidPosition" {
			t.Fatalf("read %v from inside a record: err = %v, want Unknown \"Unexpected ReadAllResult: InvalidPosition\"", dir, err)
		}
	}
	// The node confirms first and fails once catch-up reads.
	sub, err := c.SubscribeToAll(testCtx(t), esdb.SubscribeToAllOptions{From: inside})
	if err != nil {
		t.Fatalf("SubscribeToAll: %v", err)
	}
	defer sub.Close()
	if e := sub.Recv(); e.SubscriptionDropped == nil || status.Code(e.SubscriptionDropped.Error) != codes.InvalidArgument {
		t.Fatalf("subscription from inside a record: got %+v, want a drop with InvalidArgument", e)
	}
}

func TestSystemEventsSeeded(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t, esdbserver.WithSystemEvents())
	all := mustReadAll(t, c, esdb.ReadAllOptions{}, 100)
	if len(all) == 0 {
		t.Fatal("no seeded events in $all")
	}
	for _, e := range all {
		if e.Event.StreamID[0] != '$' && e.Event.EventType[0] != '$' {
			t.Errorf("seeded event %s/%s is neither a system stream nor a system type", e.Event.StreamID, e.Event.EventType)
		}
	}
}

func TestServerVersion(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t)
	v, err := c.GetServerVersion()
	if err != nil {
		t.Fatalf("GetServerVersion: %v", err)
	}
	if v.Major != 24 || v.Minor != 10 || v.Patch != 0 {
		t.Fatalf("version = %+v, want 24.10.0", v)
	}
}

func TestKillAndRevive(t *testing.T) {
	t.Parallel()
	srv, c := mustStart(t)
	mustAppend(t, c, "k", esdb.NoStream{}, jsonEvents("e", 1)...)
	srv.Kill()
	if _, err := c.AppendToStream(testCtx(t), "k", esdb.AppendToStreamOptions{}, jsonEvents("e", 1)...); err == nil {
		t.Fatal("append to a killed server succeeded")
	}
	if err := srv.Revive(); err != nil {
		t.Fatalf("Revive: %v", err)
	}
	// The old client may have given up for good while the node was down;
	// a fresh one must see the data kept across the outage.
	got := mustReadStream(t, mustClient(t, srv.URL()), "k", esdb.ReadStreamOptions{}, 10)
	if len(got) != 1 {
		t.Fatalf("after revive the stream holds %d events, want 1", len(got))
	}
}
