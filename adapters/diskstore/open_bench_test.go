package diskstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// BenchmarkOpen measures Open on a long history, with the index checkpoint
// and with a scan of the whole log, both from the page cache. The history
// has PARLEY_OPEN_EVENTS events (100,000 by default; the 10,000,000 of
// docs/BENCHMARKS.md is run by hand) of 256 bytes in conversations of 100,
// and is kept in PARLEY_OPEN_DIR when set, so that a second run skips
// writing it.
func BenchmarkOpen(b *testing.B) {
	events := 100_000
	if v := os.Getenv("PARLEY_OPEN_EVENTS"); v != "" {
		var err error
		if events, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	dir := os.Getenv("PARLEY_OPEN_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	idx := filepath.Join(dir, diskstore.IndexFile)
	if _, err := os.Stat(idx); err != nil {
		writeConversations(b, dir, events)
	}
	b.Run("checkpoint", func(b *testing.B) {
		for b.Loop() {
			openClose(b, dir)
		}
	})
	b.Run("full-scan", func(b *testing.B) {
		if err := os.Rename(idx, idx+".away"); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = os.Rename(idx+".away", idx) }()
		for b.Loop() {
			openClose(b, dir)
		}
	})
}

func openClose(b *testing.B, dir string) {
	s := mustOpen(b, dir, diskstore.Options{IndexCheckpointBytes: -1})
	b.StopTimer()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
}

// writeConversations writes events in conversations of 100 events, ten
// appends of ten each, from eight writers, and closes the store, which
// writes its index checkpoint.
func writeConversations(b *testing.B, dir string, events int) {
	// A few checkpoints on the way, and one at close.
	s := mustOpen(b, dir, diskstore.Options{IndexCheckpointBytes: max(1<<20, int64(events)*350/8)})
	convs := events / 100
	batch := benchEvents(10)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for c := w; c < convs; c += 8 {
				stream := fmt.Sprintf("conversation-%d", c)
				for r := range 10 {
					expected := domain.NoStream()
					if r > 0 {
						expected = domain.Exact(domain.Revision(r*10 - 1))
					}
					evs := make([]domain.EventData, len(batch))
					for i := range evs {
						evs[i] = batch[i]
						evs[i].ID = uuid()
					}
					if _, err := s.Append(context.Background(), stream, expected, evs); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}
