package projections_test

import (
	"cmp"
	"log/slog"
	"runtime"
	"sync"
	"testing"

	"github.com/parley-chat/parley/adapters/transcriptfiles"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// observedStore is the transcript files of a test, with a hook that sees
// the files of each barrier's batch before the barrier and may fail it.
type observedStore struct {
	*transcriptfiles.Store
	mu      sync.Mutex
	written []string
	observe func(paths []string) error
}

func (s *observedStore) Write(id string, doc []byte) error {
	if err := s.Store.Write(id, doc); err != nil {
		return err
	}
	s.mu.Lock()
	s.written = append(s.written, s.Path(id))
	s.mu.Unlock()
	return nil
}

func (s *observedStore) Sync() error {
	s.mu.Lock()
	paths, observe := s.written, s.observe
	s.written = nil
	s.mu.Unlock()
	if observe != nil && len(paths) > 0 {
		if err := observe(paths); err != nil {
			return err
		}
	}
	return s.Store.Sync()
}

func (s *observedStore) Clear() error {
	s.mu.Lock()
	s.written = nil
	s.mu.Unlock()
	return s.Store.Clear()
}

// observed holds the observedStore of each projection a test opened.
var observed sync.Map // *projections.Transcripts -> *observedStore

// observeBarriersOf makes p's files call fn with the files of each batch
// before the barrier that makes them durable; an error from fn fails that
// barrier.
func observeBarriersOf(p *projections.Transcripts, fn func(paths []string) error) {
	s := filesOf(p)
	s.mu.Lock()
	s.observe = fn
	s.mu.Unlock()
}

// filesOf returns the files p was opened with.
func filesOf(p *projections.Transcripts) *observedStore {
	s, _ := observed.Load(p)
	return s.(*observedStore)
}

// openTranscriptsIn opens the projection kept in dir over store.
func openTranscriptsIn(tb testing.TB, dir string, store domain.EventStore, logger *slog.Logger) *projections.Transcripts {
	tb.Helper()
	files, err := transcriptfiles.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { files.Close() })
	s := &observedStore{Store: files}
	p, err := projections.NewTranscripts(s, store, logger)
	if err != nil {
		tb.Fatal(err)
	}
	observed.Store(p, s)
	return p
}

// openTranscripts opens the projection kept in dir over store.
func openTranscripts(t *testing.T, dir string, store domain.EventStore) *projections.Transcripts {
	t.Helper()
	return openTranscriptsIn(t, dir, store, nil)
}

// writeTranscriptFiles writes docs (by conversation id) as Run writes
// transcripts: each replaced atomically without fsync, as many at once as
// Run builds, then one barrier. It is the floor under a rebuild: the cost
// of the files alone, with no reading or folding.
func writeTranscriptFiles(root string, docs map[string][]byte) error {
	s, err := transcriptfiles.Open(root)
	if err != nil {
		return err
	}
	defer s.Close()
	ids := make(chan string)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			// After a failure a writer keeps taking ids, without writing,
			// so that the sender never waits on nobody.
			for id := range ids {
				mu.Lock()
				failed := first != nil
				mu.Unlock()
				if failed {
					continue
				}
				if err := s.Write(id, docs[id]); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for id := range docs {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if first != nil {
		return first
	}
	return s.Sync()
}
