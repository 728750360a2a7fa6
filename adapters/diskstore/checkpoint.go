package diskstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/parley-chat/parley/domain"
)

// IndexFile holds a checkpoint of the index: where every event up to some
// position sits in the log, and the positions of every stream. Open loads
// it and scans only the log after it, so opening costs about the bytes
// appended since the last checkpoint, not the whole history. The log stays
// the source of truth: a checkpoint that does not match it is ignored, and
// deleting the file only makes the next Open scan the whole log.
const IndexFile = "events.idx"

// indexMagic starts an index checkpoint; the last byte is its version.
const indexMagic = "PRLYIDX\x01"

// errBadCheckpoint means the checkpoint is not one this store wrote for
// this log.
var errBadCheckpoint = errors.New("index checkpoint does not match")

// indexSnapshot is an index up to one position, taken without holding the
// index's lock while it is encoded: the slices it holds are prefixes of
// append-only ones, whose elements never change once written.
type indexSnapshot struct {
	end int64
	// lastCRC is the checksum of the last frame, which covers its event's
	// id: it ties the checkpoint to this log and not one shaped alike.
	lastCRC uint32
	offsets []int64
	streams []streamSnapshot
}

type streamSnapshot struct {
	name      string
	positions []domain.Position
}

// snapshot copies x's shape under its read lock: the slice headers, not
// their elements.
func (x *index) snapshot() indexSnapshot {
	x.mu.RLock()
	defer x.mu.RUnlock()
	snap := indexSnapshot{end: x.end, offsets: x.offsets[:len(x.offsets):len(x.offsets)],
		streams: make([]streamSnapshot, 0, len(x.streams))}
	for name, ps := range x.streams {
		snap.streams = append(snap.streams, streamSnapshot{name: name, positions: ps[:len(ps):len(ps)]})
	}
	return snap
}

// encode writes the checkpoint: the magic, the end, the last frame's
// checksum and the count, each frame's
// length, each stream with its positions as deltas (all uvarints), then a
// CRC-32C of everything before it. About 5 bytes an event.
func (snap indexSnapshot) encode(w io.Writer) error {
	crc := crc32.New(castagnoli)
	out := io.MultiWriter(w, crc)
	buf := make([]byte, 0, 64<<10)
	flush := func(force bool) error {
		if len(buf) < 60<<10 && !force {
			return nil
		}
		_, err := out.Write(buf)
		buf = buf[:0]
		return err
	}
	buf = append(buf, indexMagic...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(snap.end))
	buf = binary.LittleEndian.AppendUint32(buf, snap.lastCRC)
	buf = binary.AppendUvarint(buf, uint64(len(snap.offsets)))
	buf = binary.AppendUvarint(buf, uint64(len(snap.streams)))
	for i, off := range snap.offsets {
		next := snap.end
		if i+1 < len(snap.offsets) {
			next = snap.offsets[i+1]
		}
		buf = binary.AppendUvarint(buf, uint64(next-off))
		if err := flush(false); err != nil {
			return err
		}
	}
	for _, st := range snap.streams {
		buf = binary.AppendUvarint(buf, uint64(len(st.name)))
		buf = append(buf, st.name...)
		buf = binary.AppendUvarint(buf, uint64(len(st.positions)))
		var prev domain.Position
		for _, p := range st.positions {
			buf = binary.AppendUvarint(buf, p-prev)
			prev = p
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// decodeCheckpoint rebuilds an index from a checkpoint's bytes, checking
// its checksum and that it is whole and consistent with itself.
func decodeCheckpoint(b []byte) (*index, uint32, error) {
	if len(b) < len(indexMagic)+16 || string(b[:len(indexMagic)]) != indexMagic {
		return nil, 0, fmt.Errorf("%w: not an index checkpoint", errBadCheckpoint)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, 0, fmt.Errorf("%w: checksum fails", errBadCheckpoint)
	}
	d := decoder{b: body[len(indexMagic):]}
	end := int64(d.u64())
	lastCRC := uint32(d.bytesU32())
	n, nstreams := d.uvarint(), d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) || nstreams > n {
		return nil, 0, fmt.Errorf("%w: bad header", errBadCheckpoint)
	}
	x := newIndex()
	x.offsets = make([]int64, n)
	off := int64(len(fileMagic))
	for i := range x.offsets {
		x.offsets[i] = off
		off += int64(d.uvarint())
	}
	if off != end {
		return nil, 0, fmt.Errorf("%w: frame lengths do not add up to its end", errBadCheckpoint)
	}
	x.end = end
	x.streams = make(map[string][]domain.Position, nstreams)
	var total uint64
	for range nstreams {
		name := string(d.bytes(d.uvarint()))
		count := d.uvarint()
		if d.err != nil || count > n-total {
			return nil, 0, fmt.Errorf("%w: bad stream", errBadCheckpoint)
		}
		ps := make([]domain.Position, count)
		var p domain.Position
		for i := range ps {
			p += d.uvarint()
			ps[i] = p
		}
		if count > 0 && (ps[0] < 1 || p > n) {
			return nil, 0, fmt.Errorf("%w: stream %q has positions outside the log", errBadCheckpoint, name)
		}
		total += count
		x.streams[name] = ps
	}
	if d.err != nil || len(d.b) != 0 || total != n {
		return nil, 0, fmt.Errorf("%w: streams do not cover its events", errBadCheckpoint)
	}
	return x, lastCRC, nil
}

// decoder reads uvarints and byte strings, keeping the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err, d.b = errBadCheckpoint, nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.err, d.b = errBadCheckpoint, nil
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytesU32() uint32 {
	b := d.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.err, d.b = errBadCheckpoint, nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// loadCheckpoint reads the checkpoint in dir and checks it against the log
// f of size bytes: the log must reach the checkpoint's end, and the frame
// the checkpoint puts last must be there, intact, with the checksum, the
// last position and the stream the checkpoint says, committing its append. A log replaced
// or repaired since fails that check. It returns nil and no error when
// there is no checkpoint; with a checkpoint, the last record it covers
// (nil when it covers none).
func loadCheckpoint(dir string, f *os.File, size int64) (*index, *RecordRef, error) {
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	x, lastCRC, err := decodeCheckpoint(b)
	if err != nil {
		return nil, nil, err
	}
	n := len(x.offsets)
	if x.end > size {
		return nil, nil, fmt.Errorf("%w: it ends at %d, past the log's %d bytes", errBadCheckpoint, x.end, size)
	}
	if n == 0 {
		return x, nil, nil
	}
	frame := make([]byte, x.end-x.offsets[n-1])
	if _, err := f.ReadAt(frame, x.offsets[n-1]); err != nil {
		return nil, nil, err
	}
	rec, k, err := parseFrame(frame)
	if err != nil || k != len(frame) || rec.pos != domain.Position(n) || rec.flags&flagCommit == 0 ||
		binary.LittleEndian.Uint32(frame[4:]) != lastCRC {
		return nil, nil, fmt.Errorf("%w: the log holds no committed record of position %d at offset %d",
			errBadCheckpoint, n, x.offsets[n-1])
	}
	ps := x.streams[string(rec.stream)]
	if len(ps) == 0 || ps[len(ps)-1] != rec.pos || uint64(len(ps)-1) != rec.rev {
		return nil, nil, fmt.Errorf("%w: the last record's stream and revision differ", errBadCheckpoint)
	}
	return x, &RecordRef{Offset: x.offsets[n-1], Stream: string(rec.stream), Revision: rec.rev, Position: rec.pos,
		Recorded: time.Unix(0, rec.recorded).UTC()}, nil
}
