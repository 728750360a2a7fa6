package esdbserver

import (
	"slices"
	"sync"
	"time"
)

// record is one stored event.
type record struct {
	id       eventID
	stream   string
	revision uint64
	position uint64 // log position; commit and prepare positions are both this value
	typ      string
	json     bool
	created  int64 // .NET ticks (100 ns) since the Unix epoch
	metadata []byte
	data     []byte
}

// eventID is a UUID as the wire carries it: two big-endian halves.
type eventID struct{ hi, lo int64 }

// proposal is an event as an append proposes it.
type proposal struct {
	id       eventID
	typ      string
	json     bool
	metadata []byte
	data     []byte
}

// idEntry locates the latest write of an event id; the real node keeps the
// same thing in a bounded cache to make retries with "any" idempotent.
type idEntry struct {
	stream   string
	revision uint64
	seq      uint64 // when it was cached
}

// firstPosition is where the first event lands. A real log starts with epoch
// and system records, so a user event is never at position 0; position 0
// itself stays a valid place to read from.
const firstPosition = 1 << 10

// db is the in-memory transaction log.
type db struct {
	mu      sync.Mutex
	log     []*record            // every event in $all order
	streams map[string][]*record // an entry exists once a stream was written, even with zero events
	// tombstoned holds the streams deleted for good (tombstone.go).
	tombstoned map[string]bool
	ids        *idCache
	bounds     []uint64 // start of every record in the log, ascending
	end        uint64   // where the next record starts
	changed    chan struct{}
	now        func() time.Time
}

func newDB() *db {
	return &db{
		streams:    make(map[string][]*record),
		tombstoned: make(map[string]bool),
		ids:        newIDCache(DefaultIDCacheBytes),
		bounds:     []uint64{0},
		end:        firstPosition,
		changed:    make(chan struct{}),
		now:        time.Now,
	}
}

// recordSize approximates the on-disk size of a prepare record, so that
// positions advance like byte offsets rather than by one.
func recordSize(stream, typ string, metadata, data []byte) uint64 {
	const header = 4 + 2 + 8 + 8 + 4 + 8 + 16 + 16 + 8 + 2 + 4 // prefix, flags, positions, ids, ticks, suffix
	return header + uint64(len(stream)+len(typ)+len(metadata)+len(data)) + 4*4
}

// validPosition reports whether reading $all from p is allowed: p must be a
// record boundary or at or past the end of the log. A real node fails with
// "invalid position" when it lands in the middle of a record.
func (d *db) validPosition(p uint64) bool {
	if p >= d.end {
		return true
	}
	_, found := slices.BinarySearch(d.bounds, p)
	return found
}

// notify wakes every subscription waiting on the current changed channel.
func (d *db) notify() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// write stores events at the end of stream, whose last revision is cur
// (-1 for none), and returns the last revision and position written.
func (d *db) write(stream string, cur int64, events []proposal) appendOutcome {
	ticks := d.now().UnixNano() / 100
	stored := d.streams[stream]
	if len(events) == 0 {
		// A real node writes an empty prepare: the stream now "exists" and
		// the log moves on, but no event is added.
		pos := d.end
		d.bounds = append(d.bounds, pos)
		d.end += recordSize(stream, "", nil, nil)
		if stored == nil {
			d.streams[stream] = []*record{}
		}
		return appendOutcome{ok: true, current: cur, position: pos}
	}
	var last *record
	for i, p := range events {
		r := &record{
			id:       p.id,
			stream:   stream,
			revision: uint64(cur + 1 + int64(i)),
			position: d.end,
			typ:      p.typ,
			json:     p.json,
			created:  ticks,
			metadata: p.metadata,
			data:     p.data,
		}
		d.bounds = append(d.bounds, r.position)
		d.end += recordSize(stream, p.typ, p.metadata, p.data)
		d.log = append(d.log, r)
		stored = append(stored, r)
		d.ids.put(p.id, idEntry{stream: stream, revision: r.revision})
		last = r
	}
	d.streams[stream] = stored
	d.notify()
	return appendOutcome{ok: true, current: int64(last.revision), position: last.position}
}

// readStream returns up to count events of stream from revision from
// (inclusive) in the given direction; fromEnd starts at the last event.
// found is false when the stream holds no event.
func (d *db) readStream(stream string, from uint64, fromEnd, backwards bool, count uint64) (out []*record, found bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	evs := d.streams[stream]
	if len(evs) == 0 {
		return nil, false
	}
	if cutoff, ok := d.maxAgeCutoff(stream); ok {
		// Expired events are not read, but the stream still exists.
		if evs = unexpired(evs, cutoff); len(evs) == 0 {
			return nil, true
		}
	}
	first, last := evs[0].revision, evs[len(evs)-1].revision
	if backwards {
		start := last // from End, or from past the end
		if !fromEnd && from < last {
			start = from
		}
		for r := int64(start); r >= int64(first) && uint64(len(out)) < count; r-- {
			out = append(out, evs[uint64(r)-first])
		}
		return out, true
	}
	if fromEnd {
		return nil, true
	}
	for r := max(from, first); r <= last && uint64(len(out)) < count; r++ {
		out = append(out, evs[r-first])
	}
	return out, true
}

// readAll returns up to count matching events of $all. Forwards reads are
// inclusive of from; backwards reads return events before from. ok is false
// when from is not a valid position.
func (d *db) readAll(from uint64, fromEnd, backwards bool, count uint64, keep func(*record) bool) (out []*record, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !fromEnd && !d.validPosition(from) {
		return nil, false
	}
	if backwards {
		i := len(d.log)
		if !fromEnd {
			i, _ = slices.BinarySearchFunc(d.log, from, func(r *record, p uint64) int { return cmpU64(r.position, p) })
		}
		for i--; i >= 0 && uint64(len(out)) < count; i-- {
			if keep(d.log[i]) {
				out = append(out, d.log[i])
			}
		}
		return out, true
	}
	if fromEnd {
		return nil, true
	}
	i, _ := slices.BinarySearchFunc(d.log, from, func(r *record, p uint64) int { return cmpU64(r.position, p) })
	for ; i < len(d.log) && uint64(len(out)) < count; i++ {
		if keep(d.log[i]) {
			out = append(out, d.log[i])
		}
	}
	return out, true
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
