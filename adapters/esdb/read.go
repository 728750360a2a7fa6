package esdb

import (
	"context"
	"errors"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/domain"
)

// ReadStream returns up to max events of stream from revision from on. It
// returns domain.ErrStreamNotFound when the stream holds no event (or was
// deleted). Events of '$' types in the stream are returned: only reads of
// all streams skip them.
func (s *Store) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	if max < 0 {
		return nil, domain.FieldError(domain.CodeInvalid, "max", "max is negative")
	}
	count := uint64(max)
	if max == 0 {
		count = 1 // still find out whether the stream exists
	}
	evs, err := s.readStream(ctx, stream, esdb.ReadStreamOptions{From: esdb.Revision(from)}, count)
	if err != nil {
		return nil, err
	}
	return evs[:min(len(evs), max)], nil
}

func (s *Store) readStream(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) ([]domain.RecordedEvent, error) {
	raw, err := call(ctx, s, func(ctx context.Context, c *esdb.Client) ([]*esdb.ResolvedEvent, error) {
		rs, err := c.ReadStream(ctx, stream, opts, count)
		if err != nil {
			return nil, err
		}
		return drain(rs)
	})
	if err != nil {
		return nil, mapError(ctx, "read "+stream, err)
	}
	out := make([]domain.RecordedEvent, len(raw))
	for i, re := range raw {
		out[i] = fromResolved(re)
	}
	return out, nil
}

// drain reads an iterator to its end; closing it cancels the call.
func drain(rs *esdb.ReadStream) ([]*esdb.ResolvedEvent, error) {
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// readAllPage reads up to count events of $all forwards from p (inclusive).
func (s *Store) readAllPage(ctx context.Context, from esdb.AllPosition, count uint64) ([]*esdb.ResolvedEvent, error) {
	return call(ctx, s, func(ctx context.Context, c *esdb.Client) ([]*esdb.ResolvedEvent, error) {
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{From: from}, count)
		if err != nil {
			return nil, err
		}
		return drain(rs)
	})
}

func at(p domain.Position) esdb.Position { return esdb.Position{Commit: p, Prepare: p} }

func position(re *esdb.ResolvedEvent) domain.Position { return fromResolved(re).Position }

// ReadAll returns up to max non-system events with position >= from, in
// commit order. System events do not count towards max: pages are read
// until max events are found or $all ends.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	if max < 0 {
		return nil, domain.FieldError(domain.CodeInvalid, "max", "max is negative")
	}
	if max == 0 {
		return nil, nil
	}
	var start esdb.AllPosition = esdb.Start{}
	if from > 0 {
		start = at(from)
	}
	var out []domain.RecordedEvent
	var after domain.Position // events at or before it were already seen
	seen := false
	for len(out) < max {
		want := uint64(max-len(out)) + 1 // +1: a page repeats the last event of the previous one
		page, err := s.readAllPage(ctx, start, want)
		if err != nil && !seen && from > 0 && isInvalidPosition(err) {
			// from is one past an event (a "resume after" value), which is
			// inside that event's record; read from the event and drop it.
			start = at(from - 1)
			page, err = s.readAllPage(ctx, start, want)
			if isInvalidPosition(err) {
				return nil, domain.FieldError(domain.CodeInvalid, "from", "position %d is not an event position", from)
			}
		}
		if err != nil {
			return nil, mapError(ctx, "read $all", err)
		}
		for _, re := range page {
			p := position(re)
			if (seen && p <= after) || p < from {
				continue
			}
			after, seen = p, true
			if !isSystem(re.Event) && len(out) < max {
				out = append(out, fromResolved(re))
			}
		}
		if uint64(len(page)) < want || !seen {
			return out, nil
		}
		start = at(after)
	}
	return out, nil
}
