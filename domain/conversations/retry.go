package conversations

import (
	"context"
	"math/rand/v2"
	"time"
)

// maxAppendAttempts bounds the reload-and-retry loop when other writers (other
// Parley nodes sharing the store) append to the same conversation at once.
// A node that keeps appending to a conversation wins every race against one
// that has to reload first (its cached state is current, so each of its
// attempts is one round trip to the store against the loser's two), so the
// loser must outlast the other's burst rather than try a few times: with
// retryDelay, the attempts span about three seconds.
const maxAppendAttempts = 64

// retryDelay is the pause before retry n (1-based): none before the first,
// as a one-off race needs no wait, then doubling from 1 ms up to 50 ms, with
// jitter so that losers on several nodes do not retry in step.
func retryDelay(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := min(time.Millisecond<<min(n-2, 6), 50*time.Millisecond)
	return d/2 + rand.N(d)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
