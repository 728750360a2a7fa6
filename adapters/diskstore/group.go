package diskstore

import "time"

// maxGroupWait caps how long the writer holds a group open for stragglers,
// whatever the disk's latency.
const maxGroupWait = 2 * time.Millisecond

// run is the writer goroutine. Whatever queued up while one group was being
// synced becomes the next group, so the number of fdatasyncs adapts to the
// load: one per append when idle, one per many under concurrency.
func (s *Store) run() {
	defer close(s.writerDone)
	w := &s.w
	target := 1
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var req *appendReq
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return
			}
			req = r
		case <-w.retry.C:
			// Appends are paused after a failed write (pause.go).
			s.retrySpace()
			continue
		}
		s.prepare(req)
		if s.fill(target, timer) {
			// Fewer came back than the last group held, within a whole
			// commit's time: the load dropped, so stop waiting for them.
			target = len(w.reqs)
		} else {
			target = max(target, len(w.reqs))
		}
		start := time.Now()
		s.commit()
		// An average, so that one slow commit (one that also writes the
		// preallocated zeros, say) does not stretch the next wait.
		w.commitTime += (time.Since(start) - w.commitTime) / 8
	}
}

// fill adds queued appends to the group and reports whether it gave up
// waiting for the target. When fewer than the target are queued, it waits
// up to a commit's time for the rest: in a closed loop (callers that append
// again as soon as they are answered, as under load) the last group's
// callers are on their way back, and waiting for them is cheaper than
// syncing without them, then again for them. A single writer has a target
// of one and never waits.
func (s *Store) fill(target int, timer *time.Timer) (timedOut bool) {
	w := &s.w
	if !s.drain() || len(w.reqs) >= target {
		return false
	}
	timer.Reset(min(w.commitTime, maxGroupWait))
	defer timer.Stop()
	for len(w.reqs) < target && len(w.buf) < s.opts.MaxGroupBytes {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return false
			}
			s.prepare(r)
		case <-timer.C:
			return true
		}
	}
	s.drain()
	return false
}

// drain adds the appends already queued, up to the group size limit. It
// reports whether the group may take more.
func (s *Store) drain() bool {
	for len(s.w.buf) < s.opts.MaxGroupBytes {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return false
			}
			s.prepare(r)
		default:
			return true
		}
	}
	return false
}
