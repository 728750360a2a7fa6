package chain_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/esdbserver"
)

func ctxFor(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func openDisk(tb testing.TB) *diskstore.Store {
	tb.Helper()
	s, err := diskstore.Open(tb.TempDir(), diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func startServer(tb testing.TB) *esdbserver.Server {
	tb.Helper()
	srv, err := esdbserver.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("start test server: %v", err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return srv
}

func openESDB(tb testing.TB, srv *esdbserver.Server) *esdb.Store {
	tb.Helper()
	s, err := esdb.Open(ctxFor(tb), srv.URL(), nil)
	if err != nil {
		tb.Fatalf("open %s: %v", srv.URL(), err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// newEvents returns n events shaped like Parley's, each with an actor.
func newEvents(n int) []domain.EventData {
	out := make([]domain.EventData, n)
	for i := range out {
		id := uuid.NewString()
		out[i] = domain.EventData{
			ID: id, Type: "ChatMessage", Data: fmt.Appendf(nil, `{"n":%d,"id":%q}`, i, id),
			Metadata: domain.Metadata{CorrelationID: "corr-" + id[:8], CausationID: "cause-" + id[:8], SchemaVersion: 1,
				Actor: domain.Actor{Kind: domain.ActorStaff, ID: "agent-1"}},
		}
	}
	return out
}

func mustAppend(tb testing.TB, s domain.EventStore, stream string, exp domain.ExpectedRevision, evs []domain.EventData) domain.AppendResult {
	tb.Helper()
	res, err := s.Append(ctxFor(tb), stream, exp, evs)
	if err != nil {
		tb.Fatalf("append to %s (%s): %v", stream, exp, err)
	}
	return res
}

func readStream(tb testing.TB, s domain.EventStore, stream string) []domain.RecordedEvent {
	tb.Helper()
	recs, err := s.ReadStream(ctxFor(tb), stream, 0, 100_000)
	if err != nil {
		tb.Fatalf("read %s: %v", stream, err)
	}
	return recs
}
