package diskstore

import (
	"context"
	"strings"

	"github.com/parley-chat/parley/domain"
)

// SubscribeToStream implements domain.EventStore. It reads from the cache or
// the log at its own pace, so a slow handler holds up nobody else.
func (s *Store) SubscribeToStream(ctx context.Context, stream string, from domain.Revision,
	h domain.Handler, opts domain.SubscribeOptions) error {
	next := from
	if from == domain.End {
		// Events committed after this look are "appended after the
		// subscription started": the loop below reads from here on.
		next = s.idx.streamLen(stream)
	}
	caughtUp := false
	for {
		// Take the wake-up channel before looking, so that a commit landing
		// between the look and the wait still wakes us.
		wake := s.notify.waitStream(stream)
		if err := s.readable(ctx); err != nil {
			return err
		}
		positions, _ := s.idx.streamPositions(stream, next, readChunk)
		events, err := s.readPositions(ctx, positions)
		if err != nil {
			return err
		}
		for _, e := range events {
			if err := deliver(ctx, h, e); err != nil {
				return err
			}
			next = e.Revision + 1
		}
		if len(positions) == readChunk {
			continue
		}
		if !caughtUp {
			caughtUp = true
			if opts.OnCaughtUp != nil {
				opts.OnCaughtUp()
			}
		}
		if err := s.wait(ctx, wake); err != nil {
			return err
		}
	}
}

// SubscribeToAll implements domain.EventStore.
func (s *Store) SubscribeToAll(ctx context.Context, after domain.After, filter domain.Filter,
	h domain.Handler, opts domain.SubscribeOptions) error {
	next := firstAfter(after)
	if after == domain.End {
		next = s.idx.last() + 1
	}
	caughtUp := false
	// events is reused from one read to the next: a live subscription reads
	// a few events at each wake-up, and a new slice each time was 4% of
	// the bytes a busy server allocated.
	var events []domain.RecordedEvent
	for {
		wake := s.notify.waitAll()
		if err := s.readable(ctx); err != nil {
			return err
		}
		last := s.idx.last()
		for next <= last {
			// A narrow filter may skip many chunks without calling h.
			if err := ctx.Err(); err != nil {
				return err
			}
			n := int(min(last-next+1, readChunk))
			var err error
			if events, err = s.appendRange(events[:0], next, n); err != nil {
				return err
			}
			for _, e := range events {
				if isSystem(e) || !strings.HasPrefix(e.Stream, filter.StreamPrefix) {
					continue
				}
				if err := deliver(ctx, h, e); err != nil {
					return err
				}
			}
			// Keep the slice, not the events: their data may be a read
			// buffer from the log.
			clear(events)
			next += domain.Position(n)
		}
		if !caughtUp {
			caughtUp = true
			if opts.OnCaughtUp != nil {
				opts.OnCaughtUp()
			}
		}
		if err := s.wait(ctx, wake); err != nil {
			return err
		}
	}
}

// deliver hands one event to h unless ctx has ended; the handler's error is
// returned as is, so callers can match it.
func deliver(ctx context.Context, h domain.Handler, e domain.RecordedEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return h(ctx, e)
}

func (s *Store) wait(ctx context.Context, wake <-chan struct{}) error {
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errClosed
	}
}
