// Package diskspace watches the free space of the file system that holds
// the embedded store, so that Parley stops starting conversations before
// the disk is full rather than when it is.
package diskspace

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
)

// DefaultMin is the default of --min-free-space.
const DefaultMin = 256 << 20

// How old a reading may be, how often Watch reads, and how often a low
// reading is logged.
const (
	readingTTL   = time.Second
	watchEvery   = 10 * time.Second
	warningEvery = time.Minute
)

// Guard reports whether the file system of a directory has less than a
// minimum of free space. It is safe for concurrent use.
type Guard struct {
	dir    string
	min    uint64
	logger *slog.Logger
	now    func() time.Time
	// free reads the space available to unprivileged users; ok is false
	// where it cannot be read (then the guard never reports low space).
	free func(dir string) (bytes uint64, ok bool)

	mu     sync.Mutex
	readAt time.Time
	low    error
	warned time.Time
	wasLow bool
}

// New returns a guard of dir's file system; min 0 turns it off.
func New(dir string, min uint64, logger *slog.Logger) *Guard {
	return &Guard{dir: dir, min: min, logger: logger, now: time.Now, free: freeBytes}
}

// Low returns nil while the file system has at least the minimum free, and
// otherwise an error with code store_unavailable whose message says so.
// The reading behind it is at most a second old.
func (g *Guard) Low() error {
	if g == nil || g.min == 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if now.Sub(g.readAt) < readingTTL && !g.readAt.IsZero() {
		return g.low
	}
	g.readAt = now
	free, ok := g.free(g.dir)
	if !ok || free >= g.min {
		if g.wasLow {
			g.logger.Info("disk space is above --min-free-space again; new conversations are taken",
				"dir", g.dir, "free_mib", free>>20, "min_mib", g.min>>20)
		}
		g.low, g.wasLow = nil, false
		return nil
	}
	g.low = &domain.Error{Code: domain.CodeUnavailable, Message: fmt.Sprintf(
		"low disk space: %d MiB free for the event store, below the minimum of %d MiB (--min-free-space); "+
			"new conversations are refused until space is freed, running ones go on", free>>20, g.min>>20)}
	if !g.wasLow || now.Sub(g.warned) >= warningEvery {
		g.logger.Warn("low disk space: new conversations are refused until space is freed",
			"dir", g.dir, "free_mib", free>>20, "min_mib", g.min>>20)
		g.warned = now
	}
	g.wasLow = true
	return g.low
}

// Watch reads the free space every few seconds until ctx ends, so that the
// warning is logged once a minute while space is low even when nobody asks.
func (g *Guard) Watch(ctx context.Context) {
	if g == nil || g.min == 0 {
		return
	}
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		_ = g.Low()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
