package esdbserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/parley-chat/parley/test/esdbserver"
)

// mustStart starts a server and a client connected to it; both are closed
// when the test ends. The server must listen before the client's first
// call, or the client gives up for good.
func mustStart(tb testing.TB, opts ...esdbserver.Option) (*esdbserver.Server, *esdb.Client) {
	tb.Helper()
	srv, err := esdbserver.Start("127.0.0.1:0", opts...)
	if err != nil {
		tb.Fatalf("start server: %v", err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return srv, mustClient(tb, srv.URL())
}

func mustClient(tb testing.TB, url string) *esdb.Client {
	tb.Helper()
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		tb.Fatalf("parse %s: %v", url, err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		tb.Fatalf("new client: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func jsonEvents(typ string, n int) []esdb.EventData {
	out := make([]esdb.EventData, n)
	for i := range out {
		out[i] = esdb.EventData{
			EventID:     uuid.New(),
			EventType:   typ,
			ContentType: esdb.ContentTypeJson,
			Data:        fmt.Appendf(nil, `{"n":%d}`, i),
			Metadata:    []byte(`{"$correlationId":"c-1"}`),
		}
	}
	return out
}

func mustAppend(tb testing.TB, c *esdb.Client, stream string, exp esdb.ExpectedRevision, evs ...esdb.EventData) *esdb.WriteResult {
	tb.Helper()
	res, err := c.AppendToStream(testCtx(tb), stream, esdb.AppendToStreamOptions{ExpectedRevision: exp}, evs...)
	if err != nil {
		tb.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

// drain reads a plain read to its end.
func drain(rs *esdb.ReadStream) ([]*esdb.ResolvedEvent, error) {
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func mustReadStream(tb testing.TB, c *esdb.Client, stream string, opts esdb.ReadStreamOptions, count uint64) []*esdb.ResolvedEvent {
	tb.Helper()
	rs, err := c.ReadStream(testCtx(tb), stream, opts, count)
	if err != nil {
		tb.Fatalf("read %s: %v", stream, err)
	}
	evs, err := drain(rs)
	if err != nil {
		tb.Fatalf("read %s: %v", stream, err)
	}
	return evs
}

func mustReadAll(tb testing.TB, c *esdb.Client, opts esdb.ReadAllOptions, count uint64) []*esdb.ResolvedEvent {
	tb.Helper()
	rs, err := c.ReadAll(testCtx(tb), opts, count)
	if err != nil {
		tb.Fatalf("read $all: %v", err)
	}
	evs, err := drain(rs)
	if err != nil {
		tb.Fatalf("read $all: %v", err)
	}
	return evs
}

// next returns the next subscription message, failing after a while.
func next(tb testing.TB, sub *esdb.Subscription) *esdb.SubscriptionEvent {
	tb.Helper()
	ch := make(chan *esdb.SubscriptionEvent, 1)
	go func() { ch <- sub.Recv() }()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		tb.Fatal("no subscription message within 10s")
		return nil
	}
}

// describe renders a subscription message compactly for comparisons.
func describe(e *esdb.SubscriptionEvent) string {
	switch {
	case e.EventAppeared != nil:
		ev := e.EventAppeared.Event
		return fmt.Sprintf("event %s@%d", ev.StreamID, ev.EventNumber)
	case e.CheckPointReached != nil:
		return fmt.Sprintf("checkpoint %d", e.CheckPointReached.Commit)
	case e.CaughtUp != nil:
		return "caught_up"
	case e.FellBehind != nil:
		return "fell_behind"
	case e.SubscriptionDropped != nil:
		return fmt.Sprintf("dropped: %v", e.SubscriptionDropped.Error)
	}
	return "unknown"
}
