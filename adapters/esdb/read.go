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

// ReadAll returns up to max non-system events with position > after, in
// commit order. System events do not count towards max: pages are read
// until max events are found or $all ends.
//
// EventStoreDB reads $all inclusively from a position and refuses one
// inside a record, so each page is read from the position of the last event
// already seen (after itself, at first), which is always an event's own,
// and that event is dropped: the node is never sent any other position.
func (s *Store) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
	if max < 0 {
		return nil, domain.FieldError(domain.CodeInvalid, "max", "max is negative")
	}
	if max == 0 || after == domain.End {
		return nil, nil
	}
	var out []domain.RecordedEvent
	last, seen := domain.Position(after), after > 0 // events at or before last are skipped
	for len(out) < max {
		var start esdb.AllPosition = esdb.Start{}
		want := uint64(max - len(out))
		if seen {
			start, want = at(last), want+1 // the page starts with the event at last
		}
		page, err := s.readAllPage(ctx, start, want)
		if err != nil {
			return nil, mapError(ctx, "read $all", err)
		}
		for _, re := range page {
			p := position(re)
			if seen && p <= last {
				continue
			}
			last, seen = p, true
			if !isSystem(re.Event) && len(out) < max {
				out = append(out, fromResolved(re))
			}
		}
		if uint64(len(page)) < want {
			return out, nil
		}
	}
	return out, nil
}
