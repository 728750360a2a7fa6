package diskstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parley-chat/parley/domain"
)

// scanned is one frame seen by recover whose append is not yet known whole.
type scanned struct {
	off    int64
	stream string
}

// recover rebuilds the index from the log and cuts off a torn tail: bytes
// after the last intact record that hold no intact record, and the records
// of an append whose last record is missing. A record that fails its
// checksum or framing with any intact record after it is damage, not a
// tear: recover refuses it with a *DamageError and changes nothing. So does
// a tail longer than one unsynced group commit can span.
func (s *Store) recover(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("diskstore: stat log: %w", err)
	}
	size := info.Size()
	if size < int64(len(fileMagic)) {
		// A crash while the log was being created leaves it empty or with a
		// partial header; nothing in it was ever acknowledged.
		return s.initLog(f)
	}
	if err := checkMagic(f); err != nil {
		return err
	}
	ix := indexer{x: s.idx}
	from, lastRef := int64(len(fileMagic)), (*RecordRef)(nil)
	if x, last := s.loadIndexCheckpoint(f, size); x != nil {
		s.idx, ix.x, ix.end = x, x, x.end
		from, lastRef = x.end, last
	}
	s.ckpt = newCheckpointer(from)
	res, err := scanLogFrom(f, size, from, lastRef, func(off int64, n int, rec record, afterDamage bool) error {
		if afterDamage {
			return nil // Open refuses below; the scan goes on to count
		}
		if err := ix.add(off, n, rec); err != nil {
			return fmt.Errorf("diskstore: %s: record at offset %d: %w", f.Name(), off, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("diskstore: read log: %w", err)
	}
	if from > int64(len(fileMagic)) {
		s.opts.Logger.Info("diskstore: index loaded from its checkpoint; scanned the log after it",
			"events", len(s.idx.offsets), "checkpointBytes", from, "scannedRecords", res.records,
			"scannedBytes", res.end-from)
	}
	if len(res.damaged) > 0 {
		return &DamageError{File: f.Name(), Dir: s.dir, Spans: res.damaged}
	}
	// Past the last whole frame lies a torn group commit, the writer's
	// preallocated zeros, or both. Only bytes that are not zero count
	// against the window.
	if res.dataEnd-res.end > s.opts.tornWindow() {
		return fmt.Errorf("diskstore: %s: damaged record at offset %d with %d bytes after it and no intact "+
			"record, more than one unsynced write can leave; refusing to truncate it, and the log was not changed. "+
			"Run `parley store repair --data-dir %s` to move those bytes to a quarantine file",
			f.Name(), res.end, res.dataEnd-res.end, s.dir)
	}
	committed := ix.committed()
	s.idx.end = committed
	if committed == size {
		return nil
	}
	if res.dataEnd > committed {
		s.logTail(f.Name(), committed, res, len(ix.pending))
	}
	if err := f.Truncate(committed); err != nil {
		return fmt.Errorf("diskstore: truncate torn tail: %w", err)
	}
	if err := datasync(f); err != nil {
		return fmt.Errorf("diskstore: sync log after truncation: %w", err)
	}
	return nil
}

// logTail reports the torn tail recover cuts off. A whole record that fails
// its checksum may be a write torn into the preallocated zeros or a damaged
// record that was acknowledged: the two look alike, so that is an error
// naming what was dropped; a partial record is a warning.
func (s *Store) logTail(name string, committed int64, res scanResult, incomplete int) {
	if res.completeBad {
		s.opts.Logger.Error("diskstore: dropped the last record of the event log: it is whole but fails its "+
			"checksum, which a write torn by a crash and a damaged acknowledged record both leave",
			"file", name, "offset", res.end, "bytes", res.dataEnd-committed,
			"unverifiedStream", res.suspect.Stream, "unverifiedRevision", res.suspect.Revision,
			"unverifiedPosition", res.suspect.Position, "incompleteEvents", incomplete)
		return
	}
	s.opts.Logger.Warn("diskstore: truncating torn tail of the event log",
		"file", name, "offset", committed, "bytes", res.dataEnd-committed,
		"incompleteEvents", incomplete, "reason", tailReason(res.bad))
}

// checkMagic fails unless f starts with the log's header.
func checkMagic(f *os.File) error {
	magic := make([]byte, len(fileMagic))
	if _, err := f.ReadAt(magic, 0); err != nil || string(magic) != fileMagic {
		return fmt.Errorf("diskstore: %s is not a Parley event log", f.Name())
	}
	return nil
}

// lastData returns the offset just past the last byte in [from, size) that
// is not zero, or from when there is none. It reads backwards, so a long
// log with a short tail costs a read or two.
func lastData(f *os.File, from, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > from; {
		start := max(from, end-int64(len(buf)))
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return from, nil
}

// initLog writes the header of a new log and makes it durable.
func (s *Store) initLog(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("diskstore: init log: %w", err)
	}
	if _, err := f.WriteAt([]byte(fileMagic), 0); err != nil {
		return fmt.Errorf("diskstore: init log: %w", err)
	}
	if err := datasync(f); err != nil {
		return fmt.Errorf("diskstore: init log: %w", err)
	}
	s.idx.end = int64(len(fileMagic))
	s.ckpt = newCheckpointer(s.idx.end)
	// A checkpoint left from a log this one replaces would not match it;
	// removing it spares the next Open the check.
	if err := os.Remove(filepath.Join(s.dir, IndexFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("diskstore: init log: remove stale index checkpoint: %w", err)
	}
	return nil
}

// readFrame reads one whole frame into *buf, growing it as needed.
func readFrame(r *bufio.Reader, buf *[]byte) ([]byte, error) {
	head, err := r.Peek(frameHeaderSize)
	if err != nil {
		return nil, errShortFrame
	}
	n, err := frameLen(head)
	if err != nil {
		return nil, err
	}
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, errShortFrame
	}
	return b, nil
}

// indexer adds the records of a log to an index in order, holding back
// those of an append until its last record is read.
type indexer struct {
	x       *index
	pending []scanned
	// end is where the last committed record ends; 0 before any.
	end int64
}

// add checks that rec follows the records before it and indexes it once
// its append is whole.
func (ix *indexer) add(off int64, n int, rec record) error {
	stream := string(rec.stream)
	if err := checkSequence(ix.x, ix.pending, rec, stream); err != nil {
		return err
	}
	ix.pending = append(ix.pending, scanned{off: off, stream: stream})
	if rec.flags&flagCommit != 0 {
		for _, p := range ix.pending {
			ix.x.add(p.stream, p.off)
		}
		ix.pending = ix.pending[:0]
		ix.end = off + int64(n)
	}
	return nil
}

// committed returns where the last committed record ends.
func (ix *indexer) committed() int64 {
	return max(ix.end, int64(len(fileMagic)))
}

// checkSequence rejects a checksummed frame whose position or revision does
// not follow the frames before it: that is a bug or tampering, not a tear.
func checkSequence(x *index, pending []scanned, rec record, stream string) error {
	wantPos := domain.Position(len(x.offsets)+len(pending)) + 1
	if rec.pos != wantPos {
		return fmt.Errorf("position %d, want %d", rec.pos, wantPos)
	}
	wantRev := uint64(len(x.streams[stream]))
	for _, p := range pending {
		if p.stream == stream {
			wantRev++
		}
	}
	if rec.rev != wantRev {
		return fmt.Errorf("stream %q revision %d, want %d", stream, rec.rev, wantRev)
	}
	return nil
}

func tailReason(bad error) string {
	switch {
	case bad == nil:
		return "append without its last record"
	case errors.Is(bad, errShortFrame):
		return "partial record"
	default:
		return "record fails its checksum or framing"
	}
}
