package diskstore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"time"

	"github.com/parley-chat/parley/domain"
)

// RecordRef names one intact record of the log.
type RecordRef struct {
	Offset   int64
	Stream   string
	Revision domain.Revision
	Position domain.Position
	Recorded time.Time
}

// DamagedSpan is a run of the log's bytes that holds no intact record but
// has an intact record after it. A crash only tears the end of the log, so
// such a span is damage (a bad sector, a faulty copy), never a torn write.
type DamagedSpan struct {
	// Offset and End bound the damaged bytes: [Offset, End).
	Offset, End int64
	// Before is the last intact record before the span; nil when the span
	// starts at the first record.
	Before *RecordRef
	// After is the first intact record after the span.
	After RecordRef
	// ValidAfter counts the intact records from After to the end of the log.
	ValidAfter int
}

// LostPositions returns how many positions lie between the span's
// neighbours: at least one record was in the span, or its bytes would not
// fail.
func (d DamagedSpan) LostPositions() uint64 {
	var before domain.Position
	if d.Before != nil {
		before = d.Before.Position
	}
	if d.After.Position <= before {
		return 0
	}
	return d.After.Position - before - 1
}

// scanResult is what scanLog found besides the intact records.
type scanResult struct {
	damaged []DamagedSpan
	records int
	// end is where the scan stopped: past the last intact record, at the
	// start of a tail that holds none.
	end int64
	// dataEnd is just past the last byte of the log that is not zero.
	dataEnd int64
	// bad says why the bytes at end are not a record; nil when the log's
	// data ends there.
	bad error
	// completeBad is set when the bytes at end hold a whole record by its
	// length that fails its checksum or framing.
	completeBad bool
	// suspect holds the unverified fields of that record.
	suspect RecordRef
}

// scanLog reads the log f of size bytes from its header on and calls fn for
// each intact record in order (its offset, size and fields), with whether
// damage came before it. A record that fails its checksum or framing ends
// the scan when no intact record follows it (a tail); otherwise the scan
// resynchronises on the next intact record and reports the bytes in between
// as a DamagedSpan. An error from fn ends the scan and is returned.
func scanLog(f *os.File, size int64, fn func(off int64, n int, rec record, afterDamage bool) error) (scanResult, error) {
	return scanLogFrom(f, size, int64(len(fileMagic)), nil, fn)
}

// scanLogFrom scans as scanLog does, from offset from on, where the record
// before (nil for none) is lastRef: the part of the log an index checkpoint
// covers is not read again, and damage after it is found the same way.
func scanLogFrom(f *os.File, size, from int64, lastRef *RecordRef,
	fn func(off int64, n int, rec record, afterDamage bool) error) (scanResult, error) {
	var res scanResult
	dataEnd, err := lastData(f, from, size)
	if err != nil {
		return res, err
	}
	res.dataEnd = dataEnd
	off := from
	r := bufio.NewReaderSize(io.NewSectionReader(f, off, size-off), 1<<20)
	buf := make([]byte, 0, 64<<10)
	var seen []int // records read before each damaged span
	for off < dataEnd {
		frame, err := readFrame(r, &buf)
		var rec record
		var n int
		if err == nil {
			rec, n, err = parseFrame(frame)
		}
		if err != nil {
			var last domain.Position
			if lastRef != nil {
				last = lastRef.Position
			}
			next, found, rerr := resync(f, off+1, dataEnd, size, last)
			if rerr != nil {
				return res, rerr
			}
			if !found {
				res.bad = err
				res.completeBad, res.suspect = completeFrame(f, off, size)
				break
			}
			// resync checked the record at next whole, so it reads
			// intact below and closes the span.
			res.damaged = append(res.damaged, DamagedSpan{Offset: off, End: next, Before: lastRef})
			seen = append(seen, res.records)
			off = next
			r.Reset(io.NewSectionReader(f, off, size-off))
			continue
		}
		ref := RecordRef{Offset: off, Stream: string(rec.stream), Revision: rec.rev, Position: rec.pos,
			Recorded: time.Unix(0, rec.recorded).UTC()}
		if k := len(res.damaged); k > 0 && res.damaged[k-1].End == off {
			res.damaged[k-1].After = ref
		}
		if err := fn(off, n, rec, len(res.damaged) > 0); err != nil {
			return res, err
		}
		lastRef = &ref
		res.records++
		off += int64(n)
	}
	res.end = off
	for i := range res.damaged {
		res.damaged[i].ValidAfter = res.records - seen[i]
	}
	return res, nil
}

// resyncChunk is how much of the log resync reads at a time.
const resyncChunk = 1 << 20

// resync finds the first offset in [from, dataEnd) where an intact record
// starts whose position follows last, reading the log in chunks. A cheap
// look at each offset's header (a length that fits, a known flag, a
// position just past last) rules out almost every offset before a checksum
// is computed, so damage costs about one pass over the bytes after it.
func resync(f *os.File, from, dataEnd, size int64, last domain.Position) (int64, bool, error) {
	buf := make([]byte, resyncChunk+offVarying)
	var frame []byte
	for start := from; start < dataEnd; start += resyncChunk {
		n := min(int64(len(buf)), size-start)
		k, err := f.ReadAt(buf[:n], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, false, err
		}
		b := buf[:k]
		limit := min(int64(resyncChunk), dataEnd-start)
		for i := int64(0); i < limit; i++ {
			if i >= int64(len(b)) || !plausibleHeader(b[i:], size-start-i, last) {
				continue
			}
			fl := frameHeaderSize + int(binary.LittleEndian.Uint32(b[i:]))
			if cap(frame) < fl {
				frame = make([]byte, fl)
			}
			frame = frame[:fl]
			if _, err := f.ReadAt(frame, start+i); err != nil {
				return 0, false, err
			}
			if _, _, err := parseFrame(frame); err == nil {
				return start + i, true, nil
			}
		}
	}
	return 0, false, nil
}

// plausibleHeader reports whether b could start a record that ends within
// remaining bytes and whose position comes after last.
func plausibleHeader(b []byte, remaining int64, last domain.Position) bool {
	if len(b) < offVarying {
		return false
	}
	n := int64(binary.LittleEndian.Uint32(b))
	if n < frameOverhead-frameHeaderSize || n > maxFrameBytes || frameHeaderSize+n > remaining {
		return false
	}
	if b[offFlags] > flagCommit {
		return false
	}
	pos := binary.LittleEndian.Uint64(b[offPosition:])
	return pos > last && pos <= last+uint64(remaining/frameOverhead)+1
}

// completeFrame reports whether the bytes at off hold a whole record by its
// length field, and reads that record's fields without trusting them: a
// torn write into preallocated zeros and a flipped bit in the last record
// both look like that.
func completeFrame(f *os.File, off, size int64) (bool, RecordRef) {
	head := make([]byte, offVarying+binary.MaxVarintLen64)
	k, _ := f.ReadAt(head, off)
	head = head[:k]
	n, err := frameLen(head)
	if err != nil || off+int64(n) > size || len(head) < offVarying {
		return false, RecordRef{}
	}
	ref := RecordRef{
		Offset:   off,
		Position: binary.LittleEndian.Uint64(head[offPosition:]),
		Revision: binary.LittleEndian.Uint64(head[offRevision:]),
		Recorded: time.Unix(0, int64(binary.LittleEndian.Uint64(head[offRecorded:]))).UTC(),
	}
	if l, m := binary.Uvarint(head[offVarying:]); m > 0 && l > 0 && l <= 1024 && off+int64(offVarying+m)+int64(l) <= size {
		name := make([]byte, l)
		if _, err := f.ReadAt(name, off+int64(offVarying+m)); err == nil {
			ref.Stream = string(name)
		}
	}
	return true, ref
}
