package diskstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parley-chat/parley/domain"
)

// scanned is one frame seen by recover whose append is not yet known whole.
type scanned struct {
	off    int64
	stream string
}

// recover rebuilds the index from the log and cuts off a torn tail: frames
// that are partial, fail their checksum, or belong to an append whose last
// frame is missing. A writer crash can only tear the one group commit that
// was not yet synced, so damage further than tornWindow from the end is
// corruption and Open refuses it rather than dropping acknowledged events.
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
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 1<<20)
	magic := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != fileMagic {
		return fmt.Errorf("diskstore: %s is not a Parley event log", f.Name())
	}

	x := s.idx
	off := int64(len(fileMagic))
	committed := off
	var pending []scanned
	buf := make([]byte, 0, 64<<10)
	var bad error
	for off < size {
		frame, err := readFrame(r, &buf)
		if err != nil {
			bad = err
			break
		}
		rec, n, err := parseFrame(frame)
		if err != nil {
			bad = err
			break
		}
		stream := string(rec.stream)
		if err := checkSequence(x, pending, rec, stream); err != nil {
			return fmt.Errorf("diskstore: %s: record at offset %d: %w", f.Name(), off, err)
		}
		pending = append(pending, scanned{off: off, stream: stream})
		off += int64(n)
		if rec.flags&flagCommit != 0 {
			for _, p := range pending {
				x.add(p.stream, p.off)
			}
			pending = pending[:0]
			committed = off
		}
	}
	// Past the last whole frame lies a torn group commit, the writer's
	// preallocated zeros, or both. Only bytes that are not zero count
	// against the window.
	dataEnd, err := lastData(f, off, size)
	if err != nil {
		return fmt.Errorf("diskstore: read log tail: %w", err)
	}
	if dataEnd-off > s.opts.tornWindow() {
		return fmt.Errorf("diskstore: %s: damaged record at offset %d with %d bytes after it, "+
			"more than one unsynced write can leave; refusing to truncate acknowledged events",
			f.Name(), off, dataEnd-off)
	}
	x.end = committed
	if committed == size {
		return nil
	}
	if dataEnd > committed {
		s.opts.Logger.Warn("diskstore: truncating torn tail of the event log",
			"file", f.Name(), "offset", committed, "bytes", dataEnd-committed,
			"incompleteEvents", len(pending), "reason", tailReason(bad))
	}
	if err := f.Truncate(committed); err != nil {
		return fmt.Errorf("diskstore: truncate torn tail: %w", err)
	}
	if err := datasync(f); err != nil {
		return fmt.Errorf("diskstore: sync log after truncation: %w", err)
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
