package esdb

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/resubscribe"
)

// SubscribeToStream delivers the events of stream from revision from on,
// then live ones. When the subscription drops (node restart, failover,
// network) it is opened again after the last revision handled, with capped
// exponential backoff, and anything already handled is skipped, so the
// handler sees each revision once and in order.
func (s *Store) SubscribeToStream(ctx context.Context, stream string, from domain.Revision, h domain.Handler, opts domain.SubscribeOptions) error {
	next := from // the first revision not handled yet
	if from == domain.End {
		// Resolved once: a resubscription continues after what was handled.
		last, err := retrying(ctx, s, "find the end of "+stream, func(ctx context.Context) ([]domain.RecordedEvent, error) {
			evs, err := s.readStream(ctx, stream, esdb.ReadStreamOptions{From: esdb.End{}, Direction: esdb.Backwards}, 1)
			if errors.Is(err, domain.ErrStreamNotFound) {
				return nil, nil
			}
			return evs, err
		})
		if err != nil {
			return err
		}
		next = 0
		if len(last) > 0 {
			next = last[0].Revision + 1
		}
	}
	open := func() opener {
		// EventStoreDB starts subscriptions after the given revision.
		var start esdb.StreamPosition = esdb.Start{}
		if next > 0 {
			start = esdb.Revision(next - 1)
		}
		return func(ctx context.Context, c *esdb.Client) (*esdb.Subscription, error) {
			return c.SubscribeToStream(ctx, stream, esdb.SubscribeToStreamOptions{From: start})
		}
	}
	deliver := func(ctx context.Context, re *esdb.ResolvedEvent) error {
		e := re.Event
		if e.EventNumber < next {
			return nil // already handled before a resubscription
		}
		if e.EventNumber > next {
			// Only truncation ($tb, $maxCount) or a scavenge can do this.
			s.log.Warn("eventstoredb: revisions missing from the stream", "stream", stream,
				"expected", next, "got", e.EventNumber)
		}
		if err := h(ctx, fromResolved(re)); err != nil {
			return err
		}
		next = e.EventNumber + 1
		return nil
	}
	return s.subscribe(ctx, "subscribe to "+stream, open, deliver, opts)
}

// SubscribeToAll delivers every non-system event with position > after
// whose stream starts with filter.StreamPrefix, then live ones, with the
// resume guarantees of SubscribeToStream. The prefix is matched on the node
// (a stream filter; the client's default filter type is the event type).
// EventStoreDB subscriptions start after a position, so after (an event's
// own position) and, on a resubscription, the last event seen are passed
// as they are.
func (s *Store) SubscribeToAll(ctx context.Context, after domain.After, filter domain.Filter, h domain.Handler, opts domain.SubscribeOptions) error {
	last, hasLast := domain.Position(after), after > 0 // events at or before last are skipped
	if after == domain.End {
		var err error
		if last, hasLast, err = s.endOfAllRetrying(ctx); err != nil {
			return err
		}
	}
	f := &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Regex: "^[^$]"}
	if filter.StreamPrefix != "" {
		f = &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{filter.StreamPrefix}}
	}
	open := func() opener {
		var start esdb.AllPosition = esdb.Start{}
		if hasLast {
			start = at(last) // exclusive: EventStoreDB starts after it
		}
		return func(ctx context.Context, c *esdb.Client) (*esdb.Subscription, error) {
			return c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: start, Filter: f})
		}
	}
	deliver := func(ctx context.Context, re *esdb.ResolvedEvent) error {
		p := position(re)
		if hasLast && p <= last {
			return nil // already handled before a resubscription
		}
		// Every event position is a valid place to resume from, even one
		// not handed to h.
		last, hasLast = p, true
		if isSystem(re.Event) || !strings.HasPrefix(re.Event.StreamID, filter.StreamPrefix) {
			return nil
		}
		return h(ctx, fromResolved(re))
	}
	return s.subscribe(ctx, "subscribe to $all", open, deliver, opts)
}

// endOfAllRetrying finds the position of the last event in $all, waiting
// out outages as a dropped subscription does; ok is false for an empty
// store.
func (s *Store) endOfAllRetrying(ctx context.Context) (domain.Position, bool, error) {
	type end struct {
		last domain.Position
		ok   bool
	}
	e, err := retrying(ctx, s, "find the end of $all", func(ctx context.Context) (end, error) {
		evs, err := call(ctx, s, func(ctx context.Context, c *esdb.Client) ([]*esdb.ResolvedEvent, error) {
			rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{From: esdb.End{}, Direction: esdb.Backwards}, 1)
			if err != nil {
				return nil, err
			}
			return drain(rs)
		})
		if err != nil {
			return end{}, mapError(ctx, "find the end of $all", err)
		}
		if len(evs) == 0 {
			return end{}, nil // an empty store: everything is new
		}
		return end{position(evs[0]), true}, nil
	})
	return e.last, e.ok, err
}

// retrying runs f until it works, waiting out outages as a dropped
// subscription does; other errors end it.
func retrying[T any](ctx context.Context, s *Store, what string, f func(context.Context) (T, error)) (T, error) {
	wait := resubscribe.Backoff{Min: s.opt.backoffMin, Max: s.opt.backoffMax}
	var v T
	err := resubscribe.Loop(ctx, &wait, func() (err error) {
		v, err = f(ctx)
		return err
	}, func(err error, in time.Duration) bool {
		if !errors.Is(err, domain.ErrUnavailable) || s.isClosed() {
			return false
		}
		s.log.Warn("eventstoredb: cannot "+what+"; retrying", "err", err, "in", in)
		return true
	})
	return v, err
}

// opener opens a subscription at a start fixed when it was made: it may
// outlive the attempt that made it (see call), so it must not read state the
// delivery loop goes on changing.
type opener func(context.Context, *esdb.Client) (*esdb.Subscription, error)

// subscribe runs a subscription until ctx ends or the handler fails,
// opening it again (from where open says) whenever it drops for a reason
// worth retrying.
func (s *Store) subscribe(ctx context.Context, op string, open func() opener,
	deliver func(context.Context, *esdb.ResolvedEvent) error,
	opts domain.SubscribeOptions) error {
	wait := resubscribe.Backoff{Min: s.opt.backoffMin, Max: s.opt.backoffMax}
	var last error // why the last attempt ended
	err := resubscribe.Loop(ctx, &wait, func() error {
		sub, err := call(ctx, s, open())
		if err == nil {
			err = s.consume(ctx, sub, deliver, opts, &wait)
			_ = sub.Close()
		}
		last = err
		return err
	}, func(err error, in time.Duration) bool {
		var he handlerError
		if errors.As(err, &he) || errors.Is(err, errClosed) || s.isClosed() || !retryable(err) {
			return false
		}
		s.log.Warn("eventstoredb: subscription dropped; resubscribing", "op", op, "err", err, "in", in)
		return true
	})
	var he handlerError
	switch {
	case errors.As(last, &he):
		return he.err
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(last, errClosed) || s.isClosed():
		return errClosed
	case err == nil:
		return nil
	}
	return mapError(ctx, op, err)
}

// handlerError marks an error that came from the handler, not the store.
type handlerError struct{ err error }

func (e handlerError) Error() string { return e.err.Error() }

// consume handles one subscription until it drops; it returns why.
func (s *Store) consume(ctx context.Context, sub *esdb.Subscription,
	deliver func(context.Context, *esdb.ResolvedEvent) error, opts domain.SubscribeOptions, wait *resubscribe.Backoff) error {
	for {
		msg := sub.Recv()
		switch {
		case msg.EventAppeared != nil:
			if err := deliver(ctx, msg.EventAppeared); err != nil {
				return handlerError{err}
			}
			wait.Reset()
		case msg.CaughtUp != nil:
			wait.Reset()
			if opts.OnCaughtUp != nil {
				opts.OnCaughtUp()
			}
		case msg.SubscriptionDropped != nil:
			return msg.SubscriptionDropped.Error
		}
		// Checkpoints are ignored: resuming from the last event seen is
		// always safe, while 24.10 can send a checkpoint of 2^64-1.
	}
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
