package esdb_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/esdbserver"
)

func mustServer(tb testing.TB, opts ...esdbserver.Option) *esdbserver.Server {
	tb.Helper()
	srv, err := esdbserver.Start("127.0.0.1:0", opts...)
	if err != nil {
		tb.Fatalf("start test server: %v", err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return srv
}

func mustOpen(tb testing.TB, url string, opts ...esdb.Option) *esdb.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, url, testLogger(), opts...)
	if err != nil {
		tb.Fatalf("open %s: %v", url, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// testLogger shows the adapter's logs with -v only when asked to.
func testLogger() *slog.Logger {
	if os.Getenv("ESDB_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func ctxFor(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func events(n int) []domain.EventData {
	out := make([]domain.EventData, n)
	for i := range out {
		id := uuid.NewString()
		out[i] = domain.EventData{
			ID:   id,
			Type: "conversation.message_posted.v1",
			Data: fmt.Appendf(nil, `{"n":%d}`, i),
			Metadata: domain.Metadata{
				CorrelationID: "corr-" + id[:8], CausationID: "cause-" + id[:8],
				SchemaVersion: 1, Connection: "conn-1",
			},
		}
	}
	return out
}

func mustAppend(tb testing.TB, s domain.EventStore, stream string, exp domain.ExpectedRevision, evs []domain.EventData) domain.AppendResult {
	tb.Helper()
	res, err := s.Append(ctxFor(tb), stream, exp, evs)
	if err != nil {
		tb.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

// recorder is a running subscription that records what it delivers.
type recorder struct {
	mu       sync.Mutex
	ids      []string
	revs     []domain.Revision
	caughtUp []int // number of events delivered at each OnCaughtUp
	changed  chan struct{}
	done     chan error
	cancel   context.CancelFunc
}

func record(tb testing.TB, run func(ctx context.Context, h domain.Handler, o domain.SubscribeOptions) error) *recorder {
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{changed: make(chan struct{}, 1), done: make(chan error, 1), cancel: cancel}
	poke := func() {
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}
	h := func(_ context.Context, e domain.RecordedEvent) error {
		r.mu.Lock()
		r.ids, r.revs = append(r.ids, e.ID), append(r.revs, e.Revision)
		r.mu.Unlock()
		poke()
		return nil
	}
	o := domain.SubscribeOptions{OnCaughtUp: func() {
		r.mu.Lock()
		r.caughtUp = append(r.caughtUp, len(r.ids))
		r.mu.Unlock()
		poke()
	}}
	go func() { r.done <- run(ctx, h, o) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			tb.Error("subscription did not end after cancel")
		}
	})
	return r
}

// waitUntil polls the recorder until cond holds or 10 s pass.
func (r *recorder) waitUntil(tb testing.TB, what string, cond func(ids []string, caughtUp []int) bool) {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r.ids, r.caughtUp)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case err := <-r.done:
			tb.Fatalf("subscription ended waiting for %s: %v", what, err)
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			tb.Fatalf("waited 10s for %s; have %d events, caught up at %v", what, len(r.ids), r.caughtUp)
		}
	}
}

func (r *recorder) snapshot() ([]string, []domain.Revision, []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...), append([]domain.Revision(nil), r.revs...), append([]int(nil), r.caughtUp...)
}

func idsOf(evs []domain.EventData) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}
