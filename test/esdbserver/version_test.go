package esdbserver_test

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parley-chat/parley/test/esdbserver"
)

func TestServerVersionsReported(t *testing.T) {
	t.Parallel()
	want := map[string]esdb.ServerVersion{
		esdbserver.Version24_10_0: {Major: 24, Minor: 10, Patch: 0},
		esdbserver.Version24_10_4: {Major: 24, Minor: 10, Patch: 4},
		esdbserver.Version25_0:    {Major: 25, Minor: 0, Patch: 0},
	}
	for _, v := range esdbserver.Versions {
		_, c := mustStart(t, esdbserver.WithServerVersion(v))
		got, err := c.GetServerVersion()
		if err != nil || *got != want[v] {
			t.Errorf("version %s reported as %+v, %v", v, got, err)
		}
	}
	if _, err := esdbserver.Start("127.0.0.1:0", esdbserver.WithServerVersion("24.2.0")); err == nil {
		t.Error("an unknown server version was accepted")
	}
}

// sized is one event whose data alone is within limit but whose data,
// metadata and twice its type's length are not.
func sized(limit int) esdb.EventData {
	return esdb.EventData{
		EventID: uuid.New(), EventType: "conversation.message_posted.v1", ContentType: esdb.ContentTypeJson,
		Data: make([]byte, limit-10), Metadata: make([]byte, 40),
	}
}

func TestAppendSizeCountedAsEachVersionDoes(t *testing.T) {
	t.Parallel()
	const limit = 4096
	cases := map[string]struct {
		version  string
		accepted bool
	}{
		"24.10.0 counts the data only":                   {esdbserver.Version24_10_0, true},
		"24.10.4 counts metadata and twice the type too": {esdbserver.Version24_10_4, false},
		"25.0 counts as 24.10.4":                         {esdbserver.Version25_0, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, cl := mustStart(t, esdbserver.WithServerVersion(c.version), esdbserver.WithMaxAppendSize(limit))
			ev := sized(limit)
			if got := esdbserver.AppendSize(c.version, ev.EventType, ev.Metadata, ev.Data) > limit; got == c.accepted {
				t.Fatalf("AppendSize says over = %v for an append the node accepts = %v", got, c.accepted)
			}
			_, err := cl.AppendToStream(testCtx(t), "s", esdb.AppendToStreamOptions{}, ev)
			if c.accepted && err != nil {
				t.Fatalf("append: %v, want it accepted", err)
			}
			if !c.accepted && status.Code(errors.Unwrap(err)) != codes.InvalidArgument {
				t.Fatalf("append: %v, want InvalidArgument (maximum append size exceeded)", err)
			}
		})
	}
}

// The node counts each event as it arrives and refuses the append as soon
// as it is over the limit, while the client still has events to send: the
// client then only sees its stream closed.
func TestOversizeAppendRefusedWhileSending(t *testing.T) {
	t.Parallel()
	for _, v := range esdbserver.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			_, c := mustStart(t, esdbserver.WithServerVersion(v))
			evs := make([]esdb.EventData, 8)
			for i := range evs {
				evs[i] = esdb.EventData{EventID: uuid.New(), EventType: "e", ContentType: esdb.ContentTypeBinary,
					Data: make([]byte, esdbserver.DefaultMaxAppendSize)}
			}
			_, err := c.AppendToStream(testCtx(t), "big", esdb.AppendToStreamOptions{}, evs...)
			if !errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "could not send append request") {
				t.Fatalf("append = %v; want \"could not send append request\" with EOF", err)
			}
			if got := mustReadAll(t, c, esdb.ReadAllOptions{}, 10); len(got) != 0 {
				t.Fatalf("%d events stored by a refused append", len(got))
			}
		})
	}
}

// 24.10 ends a filtered catch-up from the start that sent nothing with a
// checkpoint at 2^64-1; 25.0 sends none.
func TestMaxCheckpointOnlyBefore25(t *testing.T) {
	t.Parallel()
	for v, want := range map[string][]string{
		esdbserver.Version24_10_4: {"checkpoint " + strconv.FormatUint(math.MaxUint64, 10), "caught_up"},
		esdbserver.Version25_0:    {"caught_up"},
	} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			_, c := mustStart(t, esdbserver.WithServerVersion(v))
			mustAppend(t, c, "b-1", esdb.NoStream{}, jsonEvents("e", 2)...)
			sub, err := c.SubscribeToAll(testCtx(t), esdb.SubscribeToAllOptions{From: esdb.Start{},
				Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"a-"}}})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			expectSeq(t, sub, want...)
		})
	}
}

// A subscription that gets more live events at once than its buffer holds
// falls behind, catches up from the log and says caught_up again; it
// delivers every event once, in order.
func TestCaughtUpAgainAfterFallingBehind(t *testing.T) {
	t.Parallel()
	_, c := mustStart(t, esdbserver.WithLiveBuffer(4))
	t.Run("$all", func(t *testing.T) {
		sub, err := c.SubscribeToAll(testCtx(t), esdb.SubscribeToAllOptions{From: esdb.Start{}})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		expectSeq(t, sub, "caught_up")
		mustAppend(t, c, "a", esdb.NoStream{}, jsonEvents("e", 3)...)
		expectSeq(t, sub, "event a@0", "event a@1", "event a@2")
		mustAppend(t, c, "a", esdb.Revision(2), jsonEvents("e", 6)...)
		expectSeq(t, sub, "event a@3", "event a@4", "event a@5", "event a@6", "event a@7", "event a@8", "caught_up")
	})
	t.Run("stream", func(t *testing.T) {
		sub, err := c.SubscribeToStream(testCtx(t), "s", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		expectSeq(t, sub, "caught_up")
		mustAppend(t, c, "s", esdb.NoStream{}, jsonEvents("e", 6)...)
		expectSeq(t, sub, "event s@0", "event s@1", "event s@2", "event s@3", "event s@4", "event s@5", "caught_up")
	})
}

// Retries with "any" are idempotent only while the node's bounded cache of
// recent event ids still holds them; exact-revision retries always are.
func TestIdempotencyWindowIsBounded(t *testing.T) {
	t.Parallel()
	// Each id of stream "w" costs 34 bytes: room for four.
	_, c := mustStart(t, esdbserver.WithIDCacheBytes(4*34))
	first := jsonEvents("e", 1)
	res := mustAppend(t, c, "w", esdb.NoStream{}, first...)
	if again := mustAppend(t, c, "w", esdb.Any{}, first...); *again != *res {
		t.Fatalf("retry with any while cached = %+v, want the original %+v", again, res)
	}
	for i := range 4 {
		mustAppend(t, c, "w", esdb.Revision(uint64(i)), jsonEvents("e", 1)...)
	}
	if again := mustAppend(t, c, "w", esdb.NoStream{}, first...); *again != *res {
		t.Fatalf("exact retry after eviction = %+v, want the original %+v", again, res)
	}
	mustAppend(t, c, "w", esdb.Any{}, first...)
	if n := len(mustReadStream(t, c, "w", esdb.ReadStreamOptions{}, 100)); n != 6 {
		t.Fatalf("stream holds %d events, want 6: a retry with any after its id left the cache is a new write", n)
	}
}
