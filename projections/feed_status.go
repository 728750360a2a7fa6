package projections

import "sync/atomic"

// FeedStatus says whether a node's live feed runs: the error that dropped
// its subscription to all streams, until the subscription delivers again.
// A node whose feed is down serves stale read models and delivers nothing
// live, so its readiness check fails with that error.
type FeedStatus struct {
	err atomic.Pointer[error]
}

// Err returns why the feed is down, or nil while it runs.
func (s *FeedStatus) Err() error {
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// set records err (nil: the feed runs); it does nothing on a nil status.
func (s *FeedStatus) set(err error) {
	if s == nil {
		return
	}
	if err == nil {
		if s.err.Load() != nil {
			s.err.Store(nil)
		}
		return
	}
	s.err.Store(&err)
}
