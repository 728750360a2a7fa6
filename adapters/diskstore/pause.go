package diskstore

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/parley-chat/parley/domain"
)

// The writer retries its preallocation this often after a failed write,
// doubling the wait each time up to the maximum.
const (
	firstRetryWait = 50 * time.Millisecond
	maxRetryWait   = 2 * time.Second
)

// undo takes a failed group write back: the log is truncated to the end of
// the last acknowledged record and synced, so that neither a retry nor a
// restart finds any of the group's records, and appends pause until the
// disk takes writes again. Only when the truncation itself fails (a disk
// that fails even to shrink a file) does the store stop as for a failed
// sync.
func (s *Store) undo(cause error) error {
	w := &s.w
	err := s.log.Truncate(w.end)
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		s.fail(fmt.Errorf("%w, and truncating the log back to its last acknowledged record failed: %w", cause, err))
		return *s.failed.Load()
	}
	w.allocEnd = w.end
	w.nextPos -= domain.Position(len(w.written))
	s.pause(cause)
	return *s.paused.Load()
}

// pause makes appends fail at once with an unavailable error until
// retrySpace can preallocate again. It runs on the writer goroutine.
func (s *Store) pause(cause error) {
	reason := "it cannot write to its disk"
	var errno syscall.Errno
	if errors.As(cause, &errno) {
		reason = "its disk answered: " + errno.Error()
	}
	err := error(&domain.Error{Code: domain.CodeUnavailable,
		Message: "the event store takes no appends for now: " + reason +
			"; nothing was stored, and appends resume by themselves once space is freed",
		Err: fmt.Errorf("diskstore: appends paused: %w: %w", domain.ErrUnavailable, cause)})
	if s.paused.Swap(&err) == nil {
		s.opts.Logger.Error("diskstore: cannot write the event log; appends paused until it can",
			"dir", s.dir, "error", cause)
	}
	s.w.retryWait = firstRetryWait
	s.w.retry.Reset(firstRetryWait)
}

// retrySpace tries the preallocation again and, once it is written and
// synced, lets appends in again; until then it waits longer each time.
func (s *Store) retrySpace() {
	w := &s.w
	if s.paused.Load() == nil || s.failed.Load() != nil {
		return
	}
	if err := s.preallocate(w.end); err != nil {
		w.retryWait = min(2*w.retryWait, maxRetryWait)
		w.retry.Reset(w.retryWait)
		return
	}
	if err := s.sync(); err != nil {
		s.fail(fmt.Errorf("fdatasync: %w", err))
		return
	}
	s.paused.Store(nil)
	s.opts.Logger.Info("diskstore: the event log can be written again; appends resumed", "dir", s.dir)
}
