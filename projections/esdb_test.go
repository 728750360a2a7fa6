package projections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/transcriptmail"
	"github.com/parley-chat/parley/eventschemas"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/esdbserver"
	"github.com/parley-chat/parley/test/storecontract"
)

// These tests run the read models that resume after a position on the
// EventStoreDB adapter and its test server, which, like a real node,
// refuses to read $all from inside a record. Each checks at the end that
// the server refused nothing: every position Parley sent was an event's own.
// With EVENTSTORE_URL set (go tool task test:esdb) they run against that
// node instead, each in a namespace of its own, where a refused position
// fails the read itself.

// onEachVersion runs test against a test server of each version, or once
// against the node at EVENTSTORE_URL.
func onEachVersion(t *testing.T, test func(t *testing.T, version string)) {
	if os.Getenv("EVENTSTORE_URL") != "" {
		test(t, "")
		return
	}
	for _, v := range esdbserver.Versions {
		t.Run(v, func(t *testing.T) { test(t, v) })
	}
}

// openESDBStore opens a schema-checked store on a fresh test server of
// version, or in a fresh namespace on the node at EVENTSTORE_URL.
func openESDBStore(t *testing.T, version string) domain.EventStore {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	backoff := esdb.WithBackoff(10*time.Millisecond, 50*time.Millisecond)
	if url := os.Getenv("EVENTSTORE_URL"); url != "" {
		inner, err := esdb.Open(ctx, url, quiet, backoff)
		if err != nil {
			t.Fatal(err)
		}
		store := eventschemas.Checked(storecontract.NewScope(t, inner), eventschemas.MustLoad())
		t.Cleanup(func() { _ = store.Close() })
		return store
	}
	srv, err := esdbserver.Start("127.0.0.1:0", esdbserver.WithServerVersion(version))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	inner, err := esdb.Open(ctx, srv.URL(), quiet, backoff)
	if err != nil {
		t.Fatal(err)
	}
	store := eventschemas.Checked(inner, eventschemas.MustLoad())
	t.Cleanup(func() {
		_ = store.Close()
		if n := srv.RefusedPositions(); n != 0 {
			t.Errorf("the node refused %d positions inside a record", n)
		}
	})
	return store
}

var errDropped = errors.New("subscription dropped")

// failingSubscriptions makes each of the first failures subscriptions to
// all streams fail after handing failAfter events, so that the read model
// resumes on its own, and records where each subscription started.
type failingSubscriptions struct {
	domain.EventStore
	failAfter, failures int

	mu     sync.Mutex
	afters []domain.After
}

func (s *failingSubscriptions) SubscribeToAll(ctx context.Context, after domain.After, f domain.Filter, h domain.Handler, o domain.SubscribeOptions) error {
	s.mu.Lock()
	s.afters = append(s.afters, after)
	fail := len(s.afters) <= s.failures
	s.mu.Unlock()
	n := 0
	return s.EventStore.SubscribeToAll(ctx, after, f, func(ctx context.Context, e domain.RecordedEvent) error {
		if fail && n == s.failAfter {
			return errDropped
		}
		n++
		return h(ctx, e)
	}, o)
}

func (s *failingSubscriptions) starts() []domain.After {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.afters)
}

func allPositions(t *testing.T, store domain.EventStore) []domain.Position {
	t.Helper()
	var out []domain.Position
	var after domain.After
	for {
		page, err := store.ReadAll(t.Context(), after, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			out = append(out, r.Position)
		}
		if len(page) < 100 {
			return out
		}
		after = domain.After(page[len(page)-1].Position)
	}
}

// The feed resumes after the last event it handled when its subscription
// fails, and hands on every event once, in order.
func TestOnEventStoreDB_FeedResumesAfterAnError(t *testing.T) {
	onEachVersion(t, func(t *testing.T, version string) {
		inner := openESDBStore(t, version)
		newHistory(t, inner, 6, 2)
		want := allPositions(t, inner)
		store := &failingSubscriptions{EventStore: inner, failAfter: 4, failures: 3}

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var got []domain.Position
		_ = projections.RunFeed(ctx, store, 0, quiet, nil, func(_ context.Context, e *projections.FeedEvent) error {
			got = append(got, e.Position)
			if len(got) == len(want) {
				cancel()
			}
			return nil
		})
		if !slices.Equal(got, want) {
			t.Fatalf("the feed handed on %v\nwant %v", got, want)
		}
		starts := store.starts()
		if len(starts) != 4 || starts[0] != 0 || starts[1] != domain.After(want[3]) || starts[3] != domain.After(want[11]) {
			t.Fatalf("subscriptions started after %v; want 0, then after the 4th, 8th and 12th events", starts)
		}
	})
}

// The transcript follower resumes after its checkpoint, an event's own
// position, both after a restart and after its subscription fails.
func TestOnEventStoreDB_TranscriptsResumeFromTheirCheckpoint(t *testing.T) {
	onEachVersion(t, func(t *testing.T, version string) {
		inner := openESDBStore(t, version)
		h := newHistory(t, inner, 30, 10)
		dir := t.TempDir()
		p := openTranscripts(t, dir, inner)
		_, last := h.ends(t)
		stop := run(t, p)
		eventually(t, "the checkpoint after the last event", func() bool { cp, _ := readCheckpoint(t, dir); return cp == last })
		stop()

		for _, id := range h.ids[:10] {
			h.end(t, id)
		}
		_, last = h.ends(t)
		store := &failingSubscriptions{EventStore: inner, failAfter: 3, failures: 2}
		p = openTranscripts(t, dir, store)
		stop = run(t, p)
		defer stop()
		eventually(t, "the checkpoint after the new ends", func() bool { cp, _ := readCheckpoint(t, dir); return cp == last })
		sameFiles(t, p, dir, h.want(t))
		if starts := store.starts(); len(starts) < 3 || starts[0] == 0 {
			t.Fatalf("subscriptions started after %v; want the checkpoint, then two resumptions", starts)
		}
	})
}

// A rebuild pages through the whole history (more than one page of 1000),
// and Run then resumes after the checkpoint the rebuild stored.
func TestOnEventStoreDB_RebuildPagesThroughTheHistory(t *testing.T) {
	onEachVersion(t, func(t *testing.T, version string) {
		store := openESDBStore(t, version)
		h := newHistory(t, store, 160, 3)
		if n := len(allPositions(t, store)); n <= 1000 {
			t.Fatalf("the history holds %d events; the rebuild must read more than one page", n)
		}
		dir := t.TempDir()
		p := openTranscripts(t, dir, store)
		n, err := p.Rebuild(t.Context(), nil)
		if err != nil || n != 157 {
			t.Fatalf("Rebuild = %d, %v; want 157 transcripts", n, err)
		}
		sameFiles(t, p, dir, h.want(t))
		_, last := h.ends(t)
		if cp, _ := readCheckpoint(t, dir); cp != last {
			t.Fatalf("checkpoint after the rebuild = %d, want %d", cp, last)
		}
		h.end(t, h.ids[0])
		_, last = h.ends(t)
		defer run(t, p)()
		eventually(t, "the checkpoint after the new end", func() bool { cp, _ := readCheckpoint(t, dir); return cp == last })
		sameFiles(t, p, dir, h.want(t))
	})
}

// The mailer's outbox resumes after the last event it folded when its
// subscription fails, and still sends every request.
func TestOnEventStoreDB_MailerResumesAfterAnError(t *testing.T) {
	onEachVersion(t, func(t *testing.T, version string) {
		inner := openESDBStore(t, version)
		var ids []string
		for range 3 {
			ids = append(ids, endedChat(t, inner, "zoe@example.com"))
		}
		store := &failingSubscriptions{EventStore: inner, failAfter: 1, failures: 3}
		fake := &fakeMailer{SendFn: func(int, domain.Mail) error { return nil }}
		m := newMailer(t, store, fake)
		defer runMailer(t, m)()
		for _, id := range ids {
			if _, err := m.Request(t.Context(), id, domain.Metadata{}); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "every mail sent", func() bool {
			for _, id := range ids {
				if e := emails(t, m, id); len(e) != 1 || e[0].Status != transcriptmail.Sent {
					return false
				}
			}
			return true
		})
		if _, sent := fake.count(); sent != 3 {
			t.Fatalf("%d mails sent, want 3", sent)
		}
		if starts := store.starts(); len(starts) < 2 || starts[1] == 0 {
			t.Fatalf("subscriptions started after %v; want resumptions after folded events", starts)
		}
	})
}

// A checkpoint written before the port read after a position holds the
// next position to read, one past an event, under "position": it is
// ignored, and every transcript is folded again, rather than sent to a node
// that would refuse it.
func TestOnEventStoreDB_OldCheckpointIsIgnored(t *testing.T) {
	onEachVersion(t, func(t *testing.T, version string) {
		store := openESDBStore(t, version)
		h := newHistory(t, store, 12, 4)
		_, last := h.ends(t)
		dir := t.TempDir()
		old := fmt.Sprintf(`{"format":%d,"position":%d}`, projections.TranscriptFormat, last+1)
		if err := os.WriteFile(filepath.Join(dir, "checkpoint.json"), []byte(old), 0o600); err != nil {
			t.Fatal(err)
		}
		p := openTranscripts(t, dir, store)
		defer run(t, p)()
		eventually(t, "the checkpoint after the last event", func() bool { cp, _ := readCheckpoint(t, dir); return cp == last })
		sameFiles(t, p, dir, h.want(t))
	})
}
