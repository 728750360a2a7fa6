package diskstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/domain"
)

// readChunk bounds how many events one pass reads, so that a reader far
// behind holds a bounded amount of memory however long the log is.
const readChunk = 256

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, from domain.Revision,
	limit int) ([]domain.RecordedEvent, error) {
	if err := validateMax(limit); err != nil {
		return nil, err
	}
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	positions, exists := s.idx.streamPositions(stream, from, limit)
	if !exists {
		return nil, fmt.Errorf("diskstore: read %q: %w", stream, domain.ErrStreamNotFound)
	}
	return s.readPositions(ctx, positions)
}

// readPositions reads the events at ascending positions, one pread per run
// of adjacent positions (the events of one append, typically).
func (s *Store) readPositions(ctx context.Context, positions []domain.Position) ([]domain.RecordedEvent, error) {
	out := make([]domain.RecordedEvent, 0, len(positions))
	for i := 0; i < len(positions); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j := i + 1
		for j < len(positions) && positions[j] == positions[j-1]+1 {
			j++
		}
		events, err := s.readRange(positions[i], j-i)
		if err != nil {
			return nil, err
		}
		out = append(out, events...)
		i = j
	}
	return out, nil
}

// ReadAll implements domain.EventStore. It returns fewer than limit events
// only when it reached the end of the log, system events or not, so callers
// can page through it.
func (s *Store) ReadAll(ctx context.Context, after domain.After, limit int) ([]domain.RecordedEvent, error) {
	if err := validateMax(limit); err != nil {
		return nil, err
	}
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	out := make([]domain.RecordedEvent, 0, min(limit, readChunk))
	next := firstAfter(after)
	last := s.idx.last()
	for next <= last && len(out) < limit {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := int(min(last-next+1, readChunk, uint64(limit-len(out))))
		events, err := s.readRange(next, n)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if !isSystem(e) {
				out = append(out, e)
			}
		}
		next += domain.Position(n)
	}
	return out, nil
}

// firstAfter is the first position a read or subscription after a starts
// at. Positions here are contiguous from 1, so it is the next one; End, the
// largest value, leaves nothing to read.
func firstAfter(a domain.After) domain.Position {
	if a == domain.End {
		return domain.Position(a)
	}
	return domain.Position(a) + 1
}

func (s *Store) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosed.Load() {
		return errClosed
	}
	return nil
}

// isSystem tells the events that ReadAll and SubscribeToAll skip.
func isSystem(e domain.RecordedEvent) bool {
	return strings.HasPrefix(e.Stream, "$") || strings.HasPrefix(e.Type, "$")
}

// readOne reads the committed event at position p.
func (s *Store) readOne(p domain.Position) (domain.RecordedEvent, error) {
	events, err := s.readRange(p, 1)
	if err != nil {
		return domain.RecordedEvent{}, err
	}
	return events[0], nil
}

// readRange reads n committed events from position from on: the part below
// the cache with one pread, the rest from the cache.
func (s *Store) readRange(from domain.Position, n int) ([]domain.RecordedEvent, error) {
	return s.appendRange(nil, from, n)
}

// appendRange is readRange appending to out, so that a reader that reads
// again and again (a subscription) can reuse one slice.
func (s *Store) appendRange(out []domain.RecordedEvent, from domain.Position, n int) ([]domain.RecordedEvent, error) {
	to := from + domain.Position(n) - 1
	if first, ok := s.cache.start(); ok && first <= to {
		if out == nil {
			out = make([]domain.RecordedEvent, 0, n)
		}
		diskTo := min(to, first-1)
		if diskTo >= from {
			events, err := s.readDisk(from, diskTo)
			if err != nil {
				return nil, err
			}
			out = append(out, events...)
		}
		for p := max(from, first); p <= to; p++ {
			e, ok := s.cache.get(p)
			if !ok {
				// Evicted meanwhile by newer events; the disk still has it.
				rest, err := s.readDisk(p, to)
				if err != nil {
					return nil, err
				}
				return append(out, rest...), nil
			}
			out = append(out, e)
		}
		return out, nil
	}
	events, err := s.readDisk(from, to)
	if err != nil || out == nil {
		return events, err
	}
	return append(out, events...), nil
}

// readDisk reads the frames of positions from..to with one pread.
func (s *Store) readDisk(from, to domain.Position) ([]domain.RecordedEvent, error) {
	off, end := s.idx.span(from, to)
	buf := make([]byte, end-off)
	if _, err := s.log.ReadAt(buf, off); err != nil {
		return nil, s.readErr(err)
	}
	out := make([]domain.RecordedEvent, 0, to-from+1)
	for p := from; p <= to; p++ {
		rec, n, err := parseFrame(buf)
		if err == nil && rec.pos != p {
			err = fmt.Errorf("found position %d", rec.pos)
		}
		if err != nil {
			return nil, fmt.Errorf("diskstore: corrupt record for position %d at offset %d: %w", p, off, err)
		}
		e, err := rec.event()
		if err != nil {
			return nil, fmt.Errorf("diskstore: decode metadata at position %d: %w", p, err)
		}
		out = append(out, e)
		buf = buf[n:]
		off += int64(n)
	}
	return out, nil
}
