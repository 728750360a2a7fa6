package storecontract

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

// item is what a subscription under test produced: an event, or the
// OnCaughtUp call. Both go through one channel, from the subscription's own
// goroutine, so their order is the order the store produced them in.
type item struct {
	e        domain.RecordedEvent
	caughtUp bool
}

// hook runs in the handler before the event is recorded; its error ends the
// subscription. Cases use it to block a handler or to fail it.
type hook func(ctx context.Context, e domain.RecordedEvent) error

// subscription is a running Subscribe* call.
type subscription struct {
	items  chan item
	cancel context.CancelFunc
	ended  chan struct{} // closed when the Subscribe call has returned
	err    error         // what it returned; read after ended
}

func subscribeStream(t *testing.T, s domain.EventStore, stream string, from domain.Revision, h hook) *subscription {
	return startSubscription(t, h, func(ctx context.Context, hd domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToStream(ctx, stream, from, hd, o)
	})
}

func subscribeAll(t *testing.T, s domain.EventStore, after domain.After, f domain.Filter, h hook) *subscription {
	return startSubscription(t, h, func(ctx context.Context, hd domain.Handler, o domain.SubscribeOptions) error {
		return s.SubscribeToAll(ctx, after, f, hd, o)
	})
}

func startSubscription(t *testing.T, h hook,
	run func(context.Context, domain.Handler, domain.SubscribeOptions) error) *subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	sub := &subscription{items: make(chan item, 1<<12), cancel: cancel, ended: make(chan struct{})}
	push := func(ctx context.Context, it item) error {
		select {
		case sub.items <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	handler := func(ctx context.Context, e domain.RecordedEvent) error {
		if h != nil {
			if err := h(ctx, e); err != nil {
				return err
			}
		}
		return push(ctx, item{e: e})
	}
	opts := domain.SubscribeOptions{OnCaughtUp: func() { _ = push(ctx, item{caughtUp: true}) }}
	go func() {
		defer close(sub.ended)
		sub.err = run(ctx, handler, opts)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-sub.ended:
		case <-time.After(waitFor):
			t.Errorf("subscription did not return within %v of its context ending", waitFor)
		}
	})
	return sub
}

// next returns the next item, failing the test if none comes in time.
func (sub *subscription) next(t *testing.T) item {
	t.Helper()
	select {
	case it := <-sub.items:
		return it
	case <-sub.ended:
		// Items produced before the end still count.
		select {
		case it := <-sub.items:
			return it
		default:
		}
		t.Fatalf("subscription ended early: %v", sub.err)
	case <-time.After(waitFor):
		t.Fatalf("no event or caught-up signal within %v", waitFor)
	}
	return item{}
}

// event returns the next item, which must be an event.
func (sub *subscription) event(t *testing.T) domain.RecordedEvent {
	t.Helper()
	it := sub.next(t)
	if it.caughtUp {
		t.Fatal("got OnCaughtUp, want an event")
	}
	return it.e
}

// caughtUp requires the next item to be the OnCaughtUp call.
func (sub *subscription) caughtUp(t *testing.T) {
	t.Helper()
	if it := sub.next(t); !it.caughtUp {
		t.Fatalf("got event %s (stream %s rev %d), want OnCaughtUp", it.e.ID, it.e.Stream, it.e.Revision)
	}
}

// expect requires the next items to be exactly the events with these ids,
// in order, and returns them.
func (sub *subscription) expect(t *testing.T, want []string) []domain.RecordedEvent {
	t.Helper()
	got := make([]domain.RecordedEvent, 0, len(want))
	for range want {
		got = append(got, sub.event(t))
	}
	if !slices.Equal(recordedIDs(got), want) {
		t.Fatalf("delivered ids = %v, want %v", recordedIDs(got), want)
	}
	return got
}

// collect returns the next n events and how many came before OnCaughtUp
// (-1 when it was not called among them).
func (sub *subscription) collect(t *testing.T, n int) ([]domain.RecordedEvent, int) {
	t.Helper()
	got, caughtAt := make([]domain.RecordedEvent, 0, n), -1
	for len(got) < n {
		it := sub.next(t)
		switch {
		case !it.caughtUp:
			got = append(got, it.e)
		case caughtAt >= 0:
			t.Fatalf("OnCaughtUp called twice, after %d and %d events", caughtAt, len(got))
		default:
			caughtAt = len(got)
		}
	}
	return got, caughtAt
}

// end waits for the Subscribe call to return and returns its error.
func (sub *subscription) end(t *testing.T) error {
	t.Helper()
	select {
	case <-sub.ended:
		return sub.err
	case <-time.After(waitFor):
		t.Fatalf("subscription still running %v later", waitFor)
		return nil
	}
}

// stop cancels the subscription's context and returns what it returned.
func (sub *subscription) stop(t *testing.T) error {
	t.Helper()
	sub.cancel()
	return sub.end(t)
}
