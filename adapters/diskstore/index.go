package diskstore

import (
	"sync"

	"github.com/parley-chat/parley/domain"
)

// index locates committed events in the log. Only the writer goroutine (and
// Open, before it starts) changes it; everything in it is committed, so a
// reader that finds an event here may return it.
type index struct {
	mu sync.RWMutex
	// offsets[p-1] is where the frame of position p starts. Positions are
	// contiguous from 1, so a slice beats a map by far in memory.
	offsets []int64
	// end is where the last committed frame ends; it also ends the frame of
	// the last position.
	end int64
	// streams maps a stream to the positions of its events by revision.
	streams map[string][]domain.Position
}

func newIndex() *index {
	return &index{streams: make(map[string][]domain.Position)}
}

// last returns the position of the last committed event, 0 if none.
func (x *index) last() domain.Position {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return domain.Position(len(x.offsets))
}

// span returns the byte range of the frames of positions from..to
// (inclusive), which lie next to each other in the log.
func (x *index) span(from, to domain.Position) (off, end int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	off = x.offsets[from-1]
	end = x.end
	if to < domain.Position(len(x.offsets)) {
		end = x.offsets[to]
	}
	return off, end
}

// streamLen returns how many events stream holds.
func (x *index) streamLen(stream string) uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return uint64(len(x.streams[stream]))
}

// positionAt returns the position of revision rev of stream, which must
// exist.
func (x *index) positionAt(stream string, rev domain.Revision) domain.Position {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.streams[stream][rev]
}

// streamPositions returns the positions of up to max events of stream from
// revision from on, and whether the stream holds any event.
func (x *index) streamPositions(stream string, from domain.Revision, max int) ([]domain.Position, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ps := x.streams[stream]
	if from >= uint64(len(ps)) {
		return nil, len(ps) > 0
	}
	ps = ps[from:]
	if len(ps) > max {
		ps = ps[:max]
	}
	return append([]domain.Position(nil), ps...), true
}

// add records one event; the caller holds mu or owns x exclusively.
func (x *index) add(stream string, off int64) {
	x.offsets = append(x.offsets, off)
	x.streams[stream] = append(x.streams[stream], domain.Position(len(x.offsets)))
}
