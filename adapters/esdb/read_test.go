package esdb_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/esdbserver"
)

// TestReadAfterAnEvent is the regression test of reading and subscribing
// after a position: from 0, after an event's own position, after the last
// event, and after the position of an event in the middle of an append.
// The adapter never sends the node a position that is not an event's own
// (a real node answers a plain read from inside a record with status
// Unknown), so the server refuses nothing; a caller's position that is not
// an event's is an invalid request.
func TestReadAfterAnEvent(t *testing.T) {
	t.Parallel()
	for _, v := range esdbserver.Versions {
		t.Run(v, func(t *testing.T) { readAfterAnEvent(t, v) })
	}
}

func readAfterAnEvent(t *testing.T, version string) {
	srv := mustServer(t, esdbserver.WithServerVersion(version))
	s := mustOpen(t, srv.URL())
	stream := domain.StreamName("pos")
	evs := events(5)
	mustAppend(t, s, stream, domain.NoStream(), evs[:1])
	mustAppend(t, s, stream, domain.Exact(0), evs[1:3]) // one append of two
	mustAppend(t, s, stream, domain.Exact(2), evs[3:])
	all, err := s.ReadAll(ctxFor(t), 0, 10)
	if err != nil || len(all) != 5 {
		t.Fatalf("ReadAll = %d events, %v", len(all), err)
	}
	ids := func(rs []domain.RecordedEvent) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	cases := map[string]struct {
		after domain.After
		want  []string
	}{
		"from the start":              {0, idsOf(evs)},
		"after the first event":       {domain.After(all[0].Position), idsOf(evs[1:])},
		"after the middle of a batch": {domain.After(all[1].Position), idsOf(evs[2:])},
		"after the last event":        {domain.After(all[4].Position), []string{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for _, max := range []int{1, 2, 10} {
				var got []string
				after := c.after
				for {
					page, err := s.ReadAll(ctxFor(t), after, max)
					if err != nil {
						t.Fatalf("ReadAll(%d, %d): %v", after, max, err)
					}
					got = append(got, ids(page)...)
					if len(page) < max {
						break
					}
					after = domain.After(page[len(page)-1].Position)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("ReadAll after %d in pages of %d = %v; want %v", c.after, max, got, c.want)
				}
			}
			sub := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
				return s.SubscribeToAll(ctx, c.after, domain.Filter{}, h, o)
			})
			sub.waitUntil(t, "catch-up", func(_ []string, caught []int) bool { return len(caught) == 1 })
			if got, _, _ := sub.snapshot(); !slices.Equal(append([]string{}, got...), c.want) {
				t.Errorf("SubscribeToAll(%d) delivered %v, want %v", c.after, got, c.want)
			}
		})
	}
	if n := srv.RefusedPositions(); n != 0 {
		t.Errorf("the server refused %d positions inside a record; the adapter must send only events' own", n)
	}
	inside := domain.After(all[1].Position + 1)
	_, err = s.ReadAll(ctxFor(t), inside, 10)
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("ReadAll after a position inside a record: err = %v, want code %s", err, domain.CodeInvalid)
	}
	err = s.SubscribeToAll(ctxFor(t), inside, domain.Filter{}, func(context.Context, domain.RecordedEvent) error { return nil }, domain.SubscribeOptions{})
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("SubscribeToAll after a position inside a record: err = %v, want code %s", err, domain.CodeInvalid)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, mustServer(t).URL())
	_, err := s.ReadStream(ctxFor(t), domain.StreamName("none"), 0, 10)
	if !errors.Is(err, domain.ErrStreamNotFound) {
		t.Errorf("read of a missing stream: %v, want ErrStreamNotFound", err)
	}
	bad := events(1)
	bad[0].ID = "not-a-uuid"
	if _, err := s.Append(ctxFor(t), "x", domain.Any(), bad); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("append with a non-UUID id: %v, want %s", err, domain.CodeInvalid)
	}
	big := events(1)
	big[0].Data = make([]byte, 2<<20)
	if _, err := s.Append(ctxFor(t), "x", domain.Any(), big); domain.ErrorCode(err) != domain.CodeTooLarge {
		t.Errorf("append over the node's size limit: %v, want %s", err, domain.CodeTooLarge)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ReadAll(ctx, 0, 1); !errors.Is(err, context.Canceled) || errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("read with a cancelled context: %v, want context.Canceled only", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctxFor(t), "x", domain.Any(), events(1)); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("append after Close: %v, want ErrUnavailable", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err = esdb.Open(ctx, "esdb://"+addr+"?tls=false", nil)
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Open with nothing listening: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("Open took %v", d)
	}
	if _, err := esdb.Open(ctx, "http://nope", nil); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("Open with a bad connection string: %v, want %s", err, domain.CodeInvalid)
	}
}

// TestCaughtUpAgainAfterFallingBehind: a node sends caught_up again when a
// subscription that fell behind is back; the adapter calls OnCaughtUp each
// time and still delivers every event once, in order.
func TestCaughtUpAgainAfterFallingBehind(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, mustServer(t, esdbserver.WithLiveBuffer(4)).URL())
	stream := domain.StreamName("behind")
	byStream := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToStream(ctx, stream, 0, h, o)
	})
	byAll := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToAll(ctx, 0, domain.Filter{}, h, o)
	})
	for _, r := range []*recorder{byStream, byAll} {
		r.waitUntil(t, "caught up", func(_ []string, c []int) bool { return len(c) == 1 })
	}
	evs := events(10) // more than the live buffer at once
	mustAppend(t, s, stream, domain.NoStream(), evs)
	for name, r := range map[string]*recorder{"stream": byStream, "all": byAll} {
		r.waitUntil(t, "caught up again", func(_ []string, c []int) bool { return len(c) == 2 })
		ids, _, caught := r.snapshot()
		if !slices.Equal(ids, idsOf(evs)) || !slices.Equal(caught, []int{0, 10}) {
			t.Errorf("%s subscription delivered %v, caught up after %v; want %v, then caught up after 0 and 10", name, ids, caught, idsOf(evs))
		}
	}
}
