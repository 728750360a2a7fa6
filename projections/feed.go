package projections

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/parley-chat/parley/domain"
)

// RunFeed keeps one subscription to all streams, from position from (0 for
// the whole history, domain.End for new events only), and hands each event,
// in order, to every consumer. If the subscription fails, it resumes after
// the last event it handled, with backoff. ready is called each time the
// subscription has caught up. A consumer's error is logged and does not stop
// the feed: one conversation's trouble must not stall every other. RunFeed
// returns when ctx ends.
func RunFeed(ctx context.Context, store domain.EventStore, from domain.Position, logger *slog.Logger, ready func(), consumers ...domain.Handler) error {
	backoff := 50 * time.Millisecond
	for {
		err := store.SubscribeToAll(ctx, from, domain.Filter{},
			func(ctx context.Context, rec domain.RecordedEvent) error {
				for _, consume := range consumers {
					if err := consume(ctx, rec); err != nil {
						logger.Error("live feed consumer failed", "stream", rec.Stream, "sequence", rec.Revision, "err", err)
					}
				}
				from = rec.Position + 1
				backoff = 50 * time.Millisecond
				return nil
			}, domain.SubscribeOptions{OnCaughtUp: ready})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, context.Canceled) {
			return err
		}
		logger.Warn("live feed dropped; resuming", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}
