package resubscribe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain/resubscribe"
)

// Given attempts that fail, when Loop runs them, then it waits longer
// after each failure up to Max, Min again after progress, and stops at a
// success, a final error or the end of ctx.
func TestLoop(t *testing.T) {
	dropped := errors.New("dropped")
	final := errors.New("final")
	for name, tc := range map[string]struct {
		outcomes []error // what each attempt returns; Reset after the ones marked progress
		progress map[int]bool
		want     error
		waits    []time.Duration
	}{
		"success at once":       {outcomes: []error{nil}, want: nil},
		"doubling up to max":    {outcomes: []error{dropped, dropped, dropped, dropped, nil}, waits: []time.Duration{1, 2, 4, 4}},
		"progress resets":       {outcomes: []error{dropped, dropped, dropped, nil}, progress: map[int]bool{1: true}, waits: []time.Duration{1, 1, 2}},
		"a final error ends it": {outcomes: []error{dropped, final}, want: final, waits: []time.Duration{1}},
	} {
		t.Run(name, func(t *testing.T) {
			b := &resubscribe.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond}
			var waits []time.Duration
			n := 0
			err := resubscribe.Loop(context.Background(), b, func() error {
				err := tc.outcomes[n]
				if tc.progress[n] {
					b.Reset()
				}
				n++
				return err
			}, func(err error, wait time.Duration) bool {
				if errors.Is(err, final) {
					return false
				}
				waits = append(waits, wait/time.Millisecond)
				return true
			})
			if !errors.Is(err, tc.want) || err != nil && tc.want == nil {
				t.Errorf("Loop = %v, want %v", err, tc.want)
			}
			if n != len(tc.outcomes) {
				t.Errorf("%d attempts, want %d", n, len(tc.outcomes))
			}
			if len(waits) != len(tc.waits) {
				t.Fatalf("waits %v, want %v", waits, tc.waits)
			}
			for i := range waits {
				if waits[i] != tc.waits[i] {
					t.Errorf("waits %v, want %v", waits, tc.waits)
					break
				}
			}
		})
	}
}

// When ctx ends during a wait, Loop returns ctx's error without another
// attempt.
func TestLoopStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := &resubscribe.Backoff{Min: time.Hour}
	n := 0
	err := resubscribe.Loop(ctx, b, func() error {
		n++
		return errors.New("dropped")
	}, func(error, time.Duration) bool { cancel(); return true })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("Loop = %v after %d attempts, want context.Canceled after 1", err, n)
	}
}
