package migration_test

import (
	"bytes"
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

func openDisk(tb testing.TB, dir string) *diskstore.Store {
	tb.Helper()
	s, err := diskstore.Open(dir, diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatalf("open %s: %v", dir, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// openServer starts an in-process EventStoreDB test server and returns the
// adapter on it. Like a real node, the server refuses to read $all from
// inside a record; the copy pages through $all after each page's last
// event, so it must never be refused.
func openServer(tb testing.TB) *esdb.Store {
	tb.Helper()
	srv, err := esdbserver.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("start test server: %v", err)
	}
	tb.Cleanup(func() {
		_ = srv.Close()
		if n := srv.RefusedPositions(); n != 0 {
			tb.Errorf("the node refused %d positions inside a record", n)
		}
	})
	s, err := esdb.Open(ctxFor(tb), srv.URL(), nil)
	if err != nil {
		tb.Fatalf("open %s: %v", srv.URL(), err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func newEvents(n int, typ string) []domain.EventData {
	out := make([]domain.EventData, n)
	for i := range out {
		id := uuid.NewString()
		out[i] = domain.EventData{
			ID: id, Type: typ, Data: fmt.Appendf(nil, `{"n":%d,"id":%q}`, i, id),
			Metadata: domain.Metadata{CorrelationID: "corr-" + id[:8], CausationID: "cause-" + id[:8], SchemaVersion: 1 + i%2, Connection: "conn-" + id[:4]},
		}
	}
	return out
}

func mustAppend(tb testing.TB, s domain.EventStore, stream string, exp domain.ExpectedRevision, evs []domain.EventData) {
	tb.Helper()
	if _, err := s.Append(ctxFor(tb), stream, exp, evs); err != nil {
		tb.Fatalf("append to %s: %v", stream, err)
	}
}

// fill writes a history shaped like Parley's: conversations appended to in
// turn, some appends of several events, a stream longer than a page, and
// events that carry a recorded time from an earlier migration.
func fill(tb testing.TB, s domain.EventStore) {
	tb.Helper()
	convs := []string{"conversation-" + uuid.NewString(), "conversation-" + uuid.NewString(), "conversation-" + uuid.NewString()}
	next := map[string]int{}
	appendTo := func(stream string, evs []domain.EventData) {
		exp := domain.NoStream()
		if n := next[stream]; n > 0 {
			exp = domain.Exact(domain.Revision(n - 1))
		}
		mustAppend(tb, s, stream, exp, evs)
		next[stream] += len(evs)
	}
	old := newEvents(2, "ChatMessage")
	old[0].Recorded = time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
	old[1].Recorded = time.Date(2020, 1, 2, 3, 4, 6, 7, time.UTC)
	appendTo(convs[0], old)
	for round := range 8 {
		for i, c := range convs {
			appendTo(c, newEvents(1+(round+i)%3, "ActivityMessage"))
		}
		appendTo("connectors", newEvents(1, "ConnectorRegistered"))
	}
	appendTo(convs[2], newEvents(40, "ChatMessage"))
	appendTo("delivery-"+convs[1][len("conversation-"):], newEvents(2, "MessageDelivered"))
}

// readAll returns the whole of a store's $all.
func readAll(tb testing.TB, s domain.EventStore) []domain.RecordedEvent {
	tb.Helper()
	var out []domain.RecordedEvent
	var after domain.After
	for {
		page, err := s.ReadAll(ctxFor(tb), after, 100)
		if err != nil {
			tb.Fatalf("read all: %v", err)
		}
		out = append(out, page...)
		if len(page) < 100 {
			return out
		}
		after = domain.After(page[len(page)-1].Position)
	}
}

// sameHistory requires both histories to hold the same events in the same
// order: ids, streams, revisions, types, data, metadata and recorded times.
func sameHistory(tb testing.TB, want, got []domain.RecordedEvent) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Stream != w.Stream || g.Revision != w.Revision || g.Type != w.Type ||
			!bytes.Equal(g.Data, w.Data) || g.Metadata != w.Metadata || !g.Recorded.Equal(w.Recorded) {
			tb.Fatalf("event %d differs:\n got %+v (data %s)\nwant %+v (data %s)", i, g, g.Data, w, w.Data)
		}
	}
}
