package projections

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/resubscribe"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// FeedEvent is one stored event on its way through the live feed. The feed's
// consumers share one decoding of it: the first to ask decodes, the others get
// the same result, and an event no consumer asks about is never decoded (most
// consumers ignore most conversations).
//
// The feed reuses one FeedEvent for every event, so a consumer must not keep
// it, or hand it to another goroutine, past its return; it may keep the
// RecordedEvent and what Event returns, which are never changed.
type FeedEvent struct {
	domain.RecordedEvent

	decoded bool
	event   domain.Event
	err     error
}

// NewFeedEvent returns rec ready to hand to feed consumers.
func NewFeedEvent(rec domain.RecordedEvent) *FeedEvent {
	return &FeedEvent{RecordedEvent: rec}
}

// Event returns the decoded event, as domain.DecodeEvent does, decoding it
// on the first call only.
func (e *FeedEvent) Event() (domain.Event, error) {
	if !e.decoded {
		e.event, e.err = storedjson.DecodeEvent(e.RecordedEvent)
		e.decoded = true
	}
	return e.event, e.err
}

// FeedHandler consumes the events of the live feed, one at a time, in order.
type FeedHandler func(ctx context.Context, e *FeedEvent) error

// RunFeed keeps one subscription to all streams, after position after (0 for
// the whole history, domain.End for new events only), and hands each event,
// in order, to every consumer. If the subscription fails, it resumes after
// the last event it handled, with backoff. ready is called each time the
// subscription has caught up. A consumer's error is logged and does not stop
// the feed: one conversation's trouble must not stall every other. RunFeed
// returns when ctx ends.
func RunFeed(ctx context.Context, store domain.EventStore, after domain.After, logger *slog.Logger, ready func(), consumers ...FeedHandler) error {
	return RunFeedStatus(ctx, store, after, logger, nil, ready, consumers...)
}

// RunFeedStatus is RunFeed reporting to status, when not nil, why the
// subscription is down while it is.
func RunFeedStatus(ctx context.Context, store domain.EventStore, after domain.After, logger *slog.Logger, status *FeedStatus, ready func(), consumers ...FeedHandler) error {
	caughtUp := func() {
		status.set(nil)
		if ready != nil {
			ready()
		}
	}
	var wait resubscribe.Backoff
	// One FeedEvent for the whole feed: an allocation per event would be
	// garbage at the feed's rate, and consumers do not keep it.
	fe := new(FeedEvent)
	return resubscribe.Loop(ctx, &wait, func() error {
		return store.SubscribeToAll(ctx, after, domain.Filter{},
			func(ctx context.Context, rec domain.RecordedEvent) error {
				*fe = FeedEvent{RecordedEvent: rec}
				for _, consume := range consumers {
					if err := consume(ctx, fe); err != nil {
						logger.Error("live feed consumer failed", "stream", rec.Stream, "sequence", rec.Revision, "err", err)
					}
				}
				after = domain.After(rec.Position)
				wait.Reset()
				status.set(nil)
				return nil
			}, domain.SubscribeOptions{OnCaughtUp: caughtUp})
	}, func(err error, backoff time.Duration) bool {
		if errors.Is(err, context.Canceled) {
			return false
		}
		status.set(err)
		logger.Warn("live feed dropped; resuming", "err", err, "backoff", backoff)
		return true
	})
}
