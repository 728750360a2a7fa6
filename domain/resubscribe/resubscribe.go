// Package resubscribe runs a subscription to the event store, or any call
// to it, again after it fails, waiting longer after each failure in a row:
// the one loop that the read models, the webhooks and the EventStoreDB
// adapter share.
package resubscribe

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Default waits: a subscription that drops is opened again after 50 ms,
// then 100 ms, and so on up to 5 s while it keeps failing.
const (
	DefaultMin = 50 * time.Millisecond
	DefaultMax = 5 * time.Second
)

// Backoff is the wait between attempts: Min after a success, doubled after
// each failure up to Max, with jitter so that many subscribers do not come
// back in lockstep after an outage. The zero value waits DefaultMin up to
// DefaultMax. Reset may be called from any goroutine, such as a
// subscription's handler, while Wait runs on another.
type Backoff struct {
	Min, Max time.Duration
	cur      atomic.Int64 // the next wait before jitter; 0 is Min
}

func (b *Backoff) limits() (lo, hi time.Duration) {
	lo, hi = b.Min, b.Max
	if lo <= 0 {
		lo = DefaultMin
	}
	if hi < lo {
		hi = max(lo, DefaultMax)
	}
	return lo, hi
}

// Reset makes the next wait Min again: an attempt made progress. It is
// cheap enough to call once an event.
func (b *Backoff) Reset() {
	if b.cur.Load() != 0 {
		b.cur.Store(0)
	}
}

// Current is the next wait before jitter, for logs.
func (b *Backoff) Current() time.Duration {
	lo, _ := b.limits()
	return max(lo, time.Duration(b.cur.Load()))
}

// Wait sleeps the next wait, between half of it and all of it, and then
// doubles it up to Max. It returns ctx's error when ctx ends first.
func (b *Backoff) Wait(ctx context.Context) error {
	_, hi := b.limits()
	cur := b.Current()
	b.cur.Store(int64(min(2*cur, hi)))
	t := time.NewTimer(cur/2 + rand.N(cur/2+1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Loop calls attempt until it returns nil, ctx ends, or retry reports its
// error as final, and returns that outcome (ctx's error when ctx ended).
// Before each wait it calls retry, when set, with the error and the wait to
// come, so the caller can log the drop or record why it is down; attempt
// calls b.Reset when it makes progress.
func Loop(ctx context.Context, b *Backoff, attempt func() error, retry func(err error, wait time.Duration) bool) error {
	for {
		err := attempt()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			return nil
		}
		if retry != nil && !retry(err, b.Current()) {
			return err
		}
		if err := b.Wait(ctx); err != nil {
			return err
		}
	}
}
