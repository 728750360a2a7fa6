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
)

// TestPositionsFromOutside covers the positions callers hand back: an
// event's own position and one past it (the usual resume value) both work
// for reads and subscriptions, although EventStoreDB itself refuses to read
// from inside a record; anything else is an invalid request.
func TestPositionsFromOutside(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, mustServer(t).URL())
	stream := domain.StreamName("pos")
	evs := events(4)
	for i, e := range evs {
		exp := domain.Exact(domain.Revision(i - 1))
		if i == 0 {
			exp = domain.NoStream()
		}
		mustAppend(t, s, stream, exp, []domain.EventData{e})
	}
	all, err := s.ReadAll(ctxFor(t), 0, 10)
	if err != nil || len(all) != 4 {
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
		from domain.Position
		want []string
	}{
		"an event's position":  {all[1].Position, idsOf(evs[1:])},
		"one past an event":    {all[1].Position + 1, idsOf(evs[2:])},
		"one past the last":    {all[3].Position + 1, []string{}},
		"the first event's":    {all[0].Position, idsOf(evs)},
		"well past everything": {all[3].Position + 1<<20, []string{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := s.ReadAll(ctxFor(t), c.from, 10)
			if err != nil || !slices.Equal(ids(got), c.want) {
				t.Errorf("ReadAll(%d) = %v, %v; want %v", c.from, ids(got), err, c.want)
			}
			sub := record(t, func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error {
				return s.SubscribeToAll(ctx, c.from, domain.Filter{}, h, o)
			})
			sub.waitUntil(t, "catch-up", func(_ []string, caught []int) bool { return len(caught) == 1 })
			if got, _, _ := sub.snapshot(); !slices.Equal(append([]string{}, got...), c.want) {
				t.Errorf("SubscribeToAll(%d) delivered %v, want %v", c.from, got, c.want)
			}
		})
	}
	_, err = s.ReadAll(ctxFor(t), all[1].Position+2, 10)
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("ReadAll from inside a record: err = %v, want code %s", err, domain.CodeInvalid)
	}
	err = s.SubscribeToAll(ctxFor(t), all[1].Position+2, domain.Filter{}, func(context.Context, domain.RecordedEvent) error { return nil }, domain.SubscribeOptions{})
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("SubscribeToAll from inside a record: err = %v, want code %s", err, domain.CodeInvalid)
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
