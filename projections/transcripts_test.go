package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/benchdata"
)

// storedFiles returns every file of the projection but the checkpoint, by
// path relative to dir.
func storedFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// Temporary files come and go while the projection writes.
		if err != nil || d.IsDir() || d.Name() == "checkpoint.json" || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		raw, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs the projection until the returned stop is called.
func run(t *testing.T, p *projections.Transcripts) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx, nil) }()
	return func() { cancel(); <-done }
}

func TestTranscripts_FollowsEndsAndResumesAfterRestart(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store)
	dir := t.TempDir()
	p := openTranscripts(t, dir, store)
	stop := run(t, p)
	first := startChat(t, svc, "")
	first.say(first.cus, "Γεια σας")
	first.end()
	eventually(t, "the first transcript stored", func() bool { return len(storedFiles(t, dir)) == 1 })
	stop()

	// While the projection is down, a conversation ends: it resumes from
	// its checkpoint and builds it.
	second := startChat(t, svc, "")
	second.say(second.cus, "Привет")
	second.end()
	ongoing := startChat(t, svc, "")
	p = openTranscripts(t, dir, store)
	stop = run(t, p)
	defer stop()
	eventually(t, "the second transcript stored", func() bool { return len(storedFiles(t, dir)) == 2 })

	got, err := p.Get(t.Context(), second.id)
	if err != nil || got.Entries[len(got.Entries)-2].Text != "Привет" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := p.Get(t.Context(), ongoing.id); domain.ErrorCode(err) != domain.CodeOngoing {
		t.Fatalf("an ongoing conversation: got %v, want %s", err, domain.CodeOngoing)
	}
	if _, err := p.Get(t.Context(), "no-such-conversation"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("an unknown conversation: got %v, want %s", err, domain.CodeNotFound)
	}
}

// Deleting the projection's data and rebuilding it gives the same files,
// byte for byte.
func TestTranscripts_RebuildGivesIdenticalTranscripts(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store)
	dir := t.TempDir()
	p := openTranscripts(t, dir, store)
	for i := range 5 {
		c := startChat(t, svc, "")
		c.say(c.cus, "שלום")
		c.say(agent, "مرحبا")
		if i != 2 {
			c.end()
		}
	}
	stop := run(t, p)
	eventually(t, "four transcripts stored", func() bool { return len(storedFiles(t, dir)) == 4 })
	stop()
	before := storedFiles(t, dir)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	var calls, total int
	n, err := p.Rebuild(t.Context(), func(done, all int) { calls, total = done, all })
	if err != nil || n != 4 || calls != 4 || total != 4 {
		t.Fatalf("Rebuild = %d, %v (progress %d/%d)", n, err, calls, total)
	}
	after := storedFiles(t, dir)
	if len(after) != len(before) {
		t.Fatalf("rebuilt %d files, had %d", len(after), len(before))
	}
	for name, raw := range before {
		if after[name] != raw {
			t.Errorf("%s differs after the rebuild", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.json")); err != nil {
		t.Errorf("no checkpoint after the rebuild: %v", err)
	}
}

// history is a store of generated conversations, their events appended a
// few at a time in turn so that conversations interleave as in real life.
type history struct {
	store   domain.EventStore
	ids     []string
	held    map[string][]domain.EventData // conversations whose end is not appended yet
	ended   map[string]bool
	appends int
}

func newHistory(t *testing.T, store domain.EventStore, conversations, ongoing int) *history {
	t.Helper()
	h := &history{store: store, held: map[string][]domain.EventData{}, ended: map[string]bool{}}
	pending := map[string][]domain.EventData{}
	for i := range conversations {
		id := fmt.Sprintf("00000000-0000-4000-9000-%012d", i)
		evs, err := benchdata.Conversation(benchdata.Spec{ID: id, Channel: "web", Messages: 4 + i%7, Ended: true,
			Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if i < ongoing {
			h.held[id] = evs[len(evs)-1:]
			evs = evs[:len(evs)-1]
		} else {
			h.ended[id] = true
		}
		h.ids = append(h.ids, id)
		pending[id] = evs
	}
	written := map[string]int{}
	for len(pending) > 0 {
		for _, id := range h.ids {
			evs := pending[id]
			if len(evs) == 0 {
				continue
			}
			n := min(3, len(evs))
			h.append(t, id, written[id], evs[:n])
			written[id] += n
			if pending[id] = evs[n:]; len(pending[id]) == 0 {
				delete(pending, id)
			}
		}
	}
	return h
}

func (h *history) append(t *testing.T, id string, revision int, evs []domain.EventData) {
	t.Helper()
	expected := domain.NoStream()
	if revision > 0 {
		expected = domain.Exact(domain.Revision(revision - 1))
	}
	if _, err := h.store.Append(t.Context(), domain.StreamName(id), expected, evs); err != nil {
		t.Fatal(err)
	}
}

// end appends the held-back end of conversation id.
func (h *history) end(t *testing.T, id string) {
	t.Helper()
	recs := readAll(t, h.store, id)
	h.append(t, id, len(recs), h.held[id])
	delete(h.held, id)
	h.ended[id] = true
}

// want returns the file each ended conversation must have: what Build
// writes, folded from the stream read through the store.
func (h *history) want(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id := range h.ended {
		tr, err := projections.FoldTranscript(id, readAll(t, h.store, id))
		if err != nil {
			t.Fatal(err)
		}
		out[id] = string(projections.RenderJSON(tr))
	}
	return out
}

// ends returns the position of each conversation's end, and the position
// of the last event.
func (h *history) ends(t *testing.T) (map[string]domain.Position, domain.After) {
	t.Helper()
	out := map[string]domain.Position{}
	var next domain.After
	for {
		recs, err := h.store.ReadAll(t.Context(), next, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			next = domain.After(rec.Position)
			if rec.Type == domain.EventActivityMessage && strings.Contains(string(rec.Data), domain.ActivityEndOfConversation) {
				id, _ := domain.ConversationIDOf(rec.Stream)
				out[id] = rec.Position
			}
		}
		if len(recs) < 1000 {
			return out, next
		}
	}
}

func readCheckpoint(t *testing.T, dir string) (domain.After, bool) {
	raw, err := os.ReadFile(filepath.Join(dir, "checkpoint.json"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false
	}
	var cp struct{ After domain.After }
	if err == nil {
		err = json.Unmarshal(raw, &cp)
	}
	if err != nil {
		t.Errorf("checkpoint: %v", err)
	}
	return cp.After, true
}

// barriers records what each barrier made durable, checks at each one that
// the checkpoint stored so far claims only transcripts made durable by the
// barriers before, and fails the barriers that fail says to.
type barriers struct {
	t     *testing.T
	p     *projections.Transcripts
	dir   string
	ends  func() map[string]domain.Position
	fail  func(n int) bool
	mu    sync.Mutex
	n     int
	made  map[string]bool // paths made durable by a barrier that succeeded
	wrong []string
}

func observeBarriers(t *testing.T, p *projections.Transcripts, dir string, ends func() map[string]domain.Position, fail func(n int) bool) *barriers {
	b := &barriers{t: t, p: p, dir: dir, ends: ends, fail: fail, made: map[string]bool{}}
	observeBarriersOf(p, b.barrier)
	return b
}

func (b *barriers) barrier(paths []string) error {
	b.check()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	if b.fail != nil && b.fail(b.n) {
		return errors.New("write-back failed")
	}
	for _, path := range paths {
		b.made[path] = true
	}
	return nil
}

// check verifies that every conversation that ended before the stored
// checkpoint has its transcript made durable.
func (b *barriers) check() {
	cp, ok := readCheckpoint(b.t, b.dir)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, end := range b.ends() {
		if domain.After(end) <= cp && !b.made[filesOf(b.p).Path(id)] {
			b.wrong = append(b.wrong, fmt.Sprintf("checkpoint %d passes the end of %s (%d) before its file is durable", cp, id, end))
		}
	}
}

func (b *barriers) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

func (b *barriers) verify() {
	b.t.Helper()
	b.check()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.wrong {
		b.t.Error(w)
	}
}

// sameFiles fails unless dir holds exactly the transcripts of want.
func sameFiles(t *testing.T, p *projections.Transcripts, dir string, want map[string]string) {
	t.Helper()
	got := storedFiles(t, dir)
	if len(got) != len(want) {
		t.Errorf("%d transcript files, want %d", len(got), len(want))
	}
	for id, raw := range want {
		rel, _ := filepath.Rel(dir, filesOf(p).Path(id))
		if got[rel] != raw {
			t.Errorf("the transcript of %s is not what Build makes:\n%s\nwant\n%s", id, got[rel], raw)
		}
	}
}

// The checkpoint moves past a conversation's end only once a barrier has
// made its transcript durable, also when a barrier fails (everything after
// the checkpoint is then written again), and while following live; it
// moves in batches, not once a transcript; and the transcripts Run folds
// from its subscription are byte for byte those Build folds from a read.
func TestTranscripts_CheckpointNeverPassesAFileNotDurable(t *testing.T) {
	store := openStore(t)
	h := newHistory(t, store, 60, 10)
	dir := t.TempDir()
	p := openTranscripts(t, dir, store)
	var endsMu sync.Mutex
	ends, last := h.ends(t)
	b := observeBarriers(t, p, dir, func() map[string]domain.Position {
		endsMu.Lock()
		defer endsMu.Unlock()
		return maps.Clone(ends)
	}, func(n int) bool { return n == 1 })

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan struct{}, 10)
	done := make(chan error)
	go func() { done <- p.Run(ctx, func() { ready <- struct{}{} }) }()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("not caught up within 10s")
	}
	if cp, _ := readCheckpoint(t, dir); cp != last {
		t.Errorf("caught up: checkpoint %d, want %d (after the last event)", cp, last)
	}
	if n := b.count(); n < 2 || n > 5 {
		t.Errorf("%d barriers for %d transcripts, one of them failed: want a few, not one a transcript", n, len(ends))
	}
	sameFiles(t, p, dir, h.want(t))

	// Live: conversations end one by one while Run follows.
	for _, id := range h.ids[:5] {
		h.end(t, id)
		endsMu.Lock()
		ends, last = h.ends(t)
		endsMu.Unlock()
	}
	eventually(t, "the checkpoint after the live ends", func() bool { cp, _ := readCheckpoint(t, dir); return cp == last })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	b.verify()
	sameFiles(t, p, dir, h.want(t))
}

// flaky fails reading one conversation's stream once, as a store that is
// briefly unreachable does.
type flaky struct {
	domain.EventStore
	stream string
	failed atomic.Int32
}

func (s *flaky) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	if stream == s.stream && s.failed.Add(1) == 1 {
		return nil, domain.Errorf(domain.CodeUnavailable, "store unreachable")
	}
	return s.EventStore.ReadStream(ctx, stream, from, max)
}

// A conversation that began before the checkpoint is read from its stream
// when it ends; a store failure then makes Run resume from its checkpoint
// and try again.
func TestTranscripts_RunRetriesAfterAStoreFailure(t *testing.T) {
	store := openStore(t)
	h := newHistory(t, store, 6, 2)
	dir := t.TempDir()
	p := openTranscripts(t, dir, store)
	stop := run(t, p)
	eventually(t, "four transcripts", func() bool { return len(storedFiles(t, dir)) == 4 })
	stop()

	h.end(t, h.ids[0])
	fl := &flaky{EventStore: store, stream: domain.StreamName(h.ids[0])}
	p = openTranscripts(t, dir, fl)
	stop = run(t, p)
	defer stop()
	eventually(t, "the fifth transcript", func() bool { return len(storedFiles(t, dir)) == 5 })
	if n := fl.failed.Load(); n != 2 {
		t.Errorf("read the conversation %d times, want 2 (one failure, one retry)", n)
	}
	sameFiles(t, p, dir, h.want(t))
}

// Rebuild builds on several goroutines while it reads the history, reports
// progress in order up to the total, and makes the same files as Run and
// Build.
func TestTranscripts_RebuildInParallel(t *testing.T) {
	store := openStore(t)
	h := newHistory(t, store, 120, 7)
	dir := t.TempDir()
	p := openTranscripts(t, dir, store)
	ends, last := h.ends(t)
	b := observeBarriers(t, p, dir, func() map[string]domain.Position { return ends }, nil)
	var calls []int
	found := 0
	n, err := p.Rebuild(t.Context(), func(done, f int) {
		if f < found || f < done || f > len(ends) {
			t.Errorf("progress %d built of %d found, after %d found: want found to grow, up to %d, and never below built", done, f, found, len(ends))
		}
		found = f
		calls = append(calls, done)
	})
	if err != nil || n != len(ends) {
		t.Fatalf("Rebuild = %d, %v; want %d", n, err, len(ends))
	}
	if len(calls) != len(ends) || calls[len(calls)-1] != len(ends) || found != len(ends) {
		t.Fatalf("progress called %d times, last with %v of %d found; want %d times, up to %d of %d", len(calls), calls[len(calls)-1:], found, len(ends), len(ends), len(ends))
	}
	for i, c := range calls {
		if c != i+1 {
			t.Fatalf("progress %v: not one more each time", calls)
		}
	}
	if cp, _ := readCheckpoint(t, dir); cp != last {
		t.Errorf("checkpoint %d, want %d", cp, last)
	}
	b.verify()
	sameFiles(t, p, dir, h.want(t))
}

// broken fails reading one conversation's stream for good, and reading
// all events once they reach that stream's fourth, as the checked store
// does with an event that breaks its schema.
type broken struct {
	domain.EventStore
	stream string
}

func (s *broken) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	if stream == s.stream {
		return nil, domain.Errorf(domain.CodeSchema, "event 3 of %s breaks its schema", stream)
	}
	return s.EventStore.ReadStream(ctx, stream, from, max)
}

func (s *broken) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
	recs, err := s.EventStore.ReadAll(ctx, after, max)
	for _, rec := range recs {
		if rec.Stream == s.stream && rec.Revision == 3 {
			return nil, domain.Errorf(domain.CodeSchema, "event 3 of %s breaks its schema", s.stream)
		}
	}
	return recs, err
}

// Rebuild stops at the first error and reports it, and stores no
// checkpoint; so does a barrier that fails.
func TestTranscripts_RebuildReportsErrors(t *testing.T) {
	store := openStore(t)
	h := newHistory(t, store, 40, 0)
	bad := h.ids[17]
	dir := t.TempDir()
	p := openTranscripts(t, dir, &broken{EventStore: store, stream: domain.StreamName(bad)})
	last := 0
	n, err := p.Rebuild(t.Context(), func(done, _ int) { last = done })
	if err == nil || !strings.Contains(err.Error(), bad) || domain.ErrorCode(err) != domain.CodeSchema {
		t.Fatalf("Rebuild = %d, %v; want the error of %s", n, err, bad)
	}
	if n >= 40 || last > n {
		t.Errorf("Rebuild built %d, progress reached %d: want fewer than 40, progress no further than built", n, last)
	}
	if _, ok := readCheckpoint(t, dir); ok {
		t.Error("a checkpoint after a failed rebuild")
	}

	p = openTranscripts(t, dir, store)
	observeBarriersOf(p, func([]string) error { return errors.New("write-back failed") })
	if n, err := p.Rebuild(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "write-back failed") {
		t.Fatalf("Rebuild with a failing barrier = %d, %v", n, err)
	}
	if _, ok := readCheckpoint(t, dir); ok {
		t.Error("a checkpoint after a failed barrier")
	}
}

// slow reads streams one at a time, each read taking a while.
type slow struct {
	domain.EventStore
	mu sync.Mutex
}

func (s *slow) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	time.Sleep(100 * time.Millisecond)
	return s.EventStore.ReadStream(ctx, stream, from, max)
}

// While transcripts are still being built, the checkpoint Run saves each
// second stops at the first of them.
func TestTranscripts_CheckpointWaitsForTranscriptsInProgress(t *testing.T) {
	store := openStore(t)
	h := newHistory(t, store, 30, 24)
	dir := t.TempDir()
	p := openTranscripts(t, dir, store)
	var endsMu sync.Mutex
	ends, last := h.ends(t)
	b := observeBarriers(t, p, dir, func() map[string]domain.Position {
		endsMu.Lock()
		defer endsMu.Unlock()
		return maps.Clone(ends)
	}, nil)
	stop := run(t, p)
	eventually(t, "the checkpoint after six transcripts", func() bool { cp, _ := readCheckpoint(t, dir); return cp == last })
	stop()
	before := b.count()

	// These conversations began before the checkpoint: each is read from
	// its stream, slowly, so a checkpoint falls while some are built.
	for _, id := range h.ids[:24] {
		h.end(t, id)
	}
	endsMu.Lock()
	ends, last = h.ends(t)
	endsMu.Unlock()
	p = openTranscripts(t, dir, &slow{EventStore: store})
	observeBarriersOf(p, b.barrier)
	b.p = p
	stop = run(t, p)
	defer stop()
	eventually(t, "the checkpoint after the last event", func() bool { cp, _ := readCheckpoint(t, dir); return cp == last })
	if n := b.count() - before; n < 2 {
		t.Errorf("%d barriers: want one while building and one when caught up", n)
	}
	b.verify()
	sameFiles(t, p, dir, h.want(t))
}
