package projections

import (
	"cmp"
	"os"
	"path/filepath"
	"sync"
)

// ObserveBarriers makes p call fn with the files of each batch before the
// barrier that makes them durable; an error from fn fails that barrier.
func ObserveBarriers(p *Transcripts, fn func(paths []string) error) { p.observeBarrier = fn }

// TranscriptPath is the file in which p keeps the transcript of id.
func TranscriptPath(p *Transcripts, id string) string { return p.files.path(id) }

// WriteTranscriptFiles writes files (paths relative to root) as Run writes
// transcripts: each replaced atomically without fsync, as many at once as
// Run builds, then one barrier. It is the floor under a rebuild: the cost
// of the files alone, with no reading or folding.
func WriteTranscriptFiles(root string, files map[string][]byte) error {
	s, err := openSyncer(root, nil)
	if err != nil {
		return err
	}
	defer s.close()
	paths := make(chan string)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range builders() {
		wg.Go(func() {
			// After a failure a writer keeps taking paths, without
			// writing, so that the sender never waits on nobody.
			for rel := range paths {
				mu.Lock()
				failed := first != nil
				mu.Unlock()
				if failed {
					continue
				}
				p := filepath.Join(root, rel)
				err := os.MkdirAll(filepath.Dir(p), 0o750)
				if err == nil {
					err = replaceFile(p, files[rel])
				}
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					continue
				}
				s.wrote(p)
			}
		})
	}
	for rel := range files {
		paths <- rel
	}
	close(paths)
	wg.Wait()
	if first != nil {
		return first
	}
	return s.sync()
}
