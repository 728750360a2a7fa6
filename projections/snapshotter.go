package projections

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Snapshotter saves a read model's state with the checkpoint it covers,
// every Every events or Interval, whichever comes first, and after every
// erasure of personal data, so that a restart folds only the events after
// it instead of the whole history. It is a feed consumer placed after the
// read model's own: when it sees an event, the read model has folded it.
// The state is taken on the feed's goroutine (a copy, so it is the fold up
// to that event) and written on another, so the feed does not wait for the
// disk; a save still running when the next is due makes that one wait for
// the next turn, but for an erasure's, which waits for it.
//
// A read model adopts it with a State function that copies its state and a
// Restore that puts a loaded one back before the feed starts; the feed then
// starts after the checkpoint Load returns.
type Snapshotter struct {
	File     SnapshotFile
	Every    int
	Interval time.Duration
	// State copies the read model's state; it is called between events.
	State  func() any
	Logger *slog.Logger

	mu     sync.Mutex // held while a save runs
	n      int
	last   time.Time
	cp     Checkpoint
	seen   bool
	saving sync.WaitGroup
}

// Handle is the feed consumer.
func (s *Snapshotter) Handle(_ context.Context, fe *FeedEvent) error {
	s.cp, s.seen = CheckpointOf(fe.RecordedEvent), true
	s.n++
	if s.last.IsZero() {
		s.last = time.Now()
	}
	// An erasure is saved at once, waiting for a save in progress: a
	// snapshot taken before it may hold the customer's name in clear (the
	// routing board keeps it), and the data directory must not keep it
	// until the next turn (ADR 41).
	erasure := fe.Type == domain.EventPersonalDataErased
	if !erasure && s.n < s.Every && time.Since(s.last) < s.Interval {
		return nil
	}
	if erasure {
		s.mu.Lock()
	} else if !s.mu.TryLock() {
		return nil // the last save is still being written
	}
	cp, state := s.cp, s.State()
	s.n, s.last = 0, time.Now()
	s.saving.Add(1)
	go func() {
		defer s.saving.Done()
		defer s.mu.Unlock()
		s.save(cp, state)
	}()
	return nil
}

// Flush waits for a save in progress, then saves the state as it is now
// if the feed handled an event since the last save. Call it once the feed
// has stopped.
func (s *Snapshotter) Flush() {
	s.saving.Wait()
	if s.seen && s.n > 0 {
		s.save(s.cp, s.State())
		s.n = 0
	}
}

func (s *Snapshotter) save(cp Checkpoint, state any) {
	start := time.Now()
	if err := s.File.Save(cp, state); err != nil {
		s.Logger.Warn("could not save a read model's snapshot; the next start folds more of the history", "err", err)
		return
	}
	s.Logger.Debug("read model snapshot saved", "file", s.File.Path, "after", cp.After, "took", time.Since(start))
}
