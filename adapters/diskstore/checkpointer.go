package diskstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// checkpointer writes index checkpoints in the background, so that the
// writer never waits for one: the writer asks after a commit once the log
// has grown by Options.IndexCheckpointBytes since the last, and a request
// made while one is written is merged with it.
type checkpointer struct {
	reqs chan struct{}
	done chan struct{}
	// end is where the log ended at the last checkpoint written or loaded.
	end atomic.Int64
}

func newCheckpointer(end int64) *checkpointer {
	c := &checkpointer{reqs: make(chan struct{}, 1), done: make(chan struct{})}
	c.end.Store(end)
	return c
}

// checkpointDue reports whether the log, now ending at end, has grown enough since
// the last checkpoint for a new one.
func (s *Store) checkpointDue(end int64) bool {
	every := s.opts.IndexCheckpointBytes
	if every <= 0 {
		return false
	}
	return end-s.ckpt.end.Load() >= every
}

// requestCheckpoint asks for a checkpoint without waiting for it.
func (s *Store) requestCheckpoint() {
	select {
	case s.ckpt.reqs <- struct{}{}:
	default: // one is asked for already
	}
}

// runCheckpoints writes a checkpoint for each request until reqs closes.
func (s *Store) runCheckpoints() {
	defer close(s.ckpt.done)
	for range s.ckpt.reqs {
		s.writeCheckpoint()
	}
}

// writeCheckpoint writes the index as it is now. A failure is logged and
// changes nothing: the log is the source of truth, and the next Open only
// scans more of it.
func (s *Store) writeCheckpoint() {
	start := time.Now()
	snap := s.idx.snapshot()
	if n := len(snap.offsets); n > 0 {
		var crc [4]byte
		if _, err := s.log.ReadAt(crc[:], snap.offsets[n-1]+4); err != nil {
			s.opts.Logger.Warn("diskstore: could not write the index checkpoint; the next start scans more of the log",
				"dir", s.dir, "error", err)
			return
		}
		snap.lastCRC = binary.LittleEndian.Uint32(crc[:])
	}
	if err := writeDurable(s.dir, IndexFile, snap.encode, nil); err != nil {
		s.opts.Logger.Warn("diskstore: could not write the index checkpoint; the next start scans more of the log",
			"dir", s.dir, "error", err)
		_ = os.Remove(filepath.Join(s.dir, IndexFile+".tmp"))
		return
	}
	s.ckpt.end.Store(snap.end)
	s.opts.Logger.Debug("diskstore: index checkpoint written", "events", len(snap.offsets),
		"streams", len(snap.streams), "logBytes", snap.end, "took", time.Since(start))
}

// stopCheckpoints waits for the checkpoint being written, then writes the
// last one at close when the log has grown since, and is large enough for
// one. The writer has stopped, so the index no longer changes. A log
// smaller than IndexCheckpointBytes gets none: scanning it costs less than
// a quarter of a second.
func (s *Store) stopCheckpoints(writeLast bool) {
	close(s.ckpt.reqs)
	<-s.ckpt.done
	end := s.idx.snapshot().end
	every := s.opts.IndexCheckpointBytes
	if writeLast && every > 0 && end >= every && end != s.ckpt.end.Load() {
		s.writeCheckpoint()
	}
}

// loadIndexCheckpoint loads the checkpoint for the log f of size bytes, or
// returns nil when there is none or it does not match the log, which is
// then scanned whole.
func (s *Store) loadIndexCheckpoint(f *os.File, size int64) (*index, *RecordRef) {
	x, last, err := loadCheckpoint(s.dir, f, size)
	if err != nil {
		level := "a damaged or stale checkpoint"
		if !errors.Is(err, errBadCheckpoint) {
			level = "an unreadable checkpoint"
		}
		s.opts.Logger.Warn(fmt.Sprintf("diskstore: ignoring %s of the index; scanning the whole log", level),
			"file", filepath.Join(s.dir, IndexFile), "error", err)
		return nil, nil
	}
	return x, last
}
