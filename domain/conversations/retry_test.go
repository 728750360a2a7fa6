package conversations

import (
	"testing"
	"time"
)

// A node that loses the race for a conversation must keep trying for
// longer than another node's burst of appends lasts, yet give up in bounded
// time, without a busy loop.
func TestRetryDelays(t *testing.T) {
	if d := retryDelay(1); d != 0 {
		t.Errorf("delay before the first retry = %v, want none", d)
	}
	var total time.Duration
	for n := 1; n < maxAppendAttempts; n++ {
		d := retryDelay(n)
		if n > 1 && (d < 500*time.Microsecond || d > 75*time.Millisecond) {
			t.Fatalf("delay before retry %d = %v, want between 0.5ms and 75ms", n, d)
		}
		total += d
	}
	// Each delay is within half of its base either way, so the total is
	// between about 1.4s and 4.4s whatever the jitter.
	if total < time.Second || total > 5*time.Second {
		t.Errorf("retries span %v, want 1s to 5s", total)
	}
}
