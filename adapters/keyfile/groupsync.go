package keyfile

import (
	"os"
	"sync"
)

// groupSync shares one fsync among the creates that wrote their slots while
// the one before ran, as the embedded store's group commit does for
// appends: starting many conversations at once then costs few fsyncs, not
// one each in a row. A key is handed out only once its slot is synced.
type groupSync struct {
	mu     sync.Mutex // held while syncing
	synced int64      // slots known durable
}

// upTo returns once the first n slots are durable, syncing f if they are
// not; written reports how many slots are written when the sync starts.
func (g *groupSync) upTo(f *os.File, n int64, written func() int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.synced >= n {
		return nil
	}
	target := written()
	if err := f.Sync(); err != nil {
		return err
	}
	g.synced = target
	return nil
}
