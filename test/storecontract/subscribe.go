package storecontract

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

var subscriptionCases = []testCase{
	{"handler error ends it", testHandlerError},
	{"cancel ends it promptly", testCancel},
	{"many concurrent subscribers", testManySubscribers},
	{"a blocked subscriber holds up nobody", testBlockedSubscriber},
}

var errHandler = errors.New("handler failed on purpose")

func testHandlerError(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-err")
	evs := newEvents(3)
	mustAppend(t, s, stream, domain.NoStream(), evs)
	failSecond := func(_ context.Context, ev domain.RecordedEvent) error {
		if ev.ID == evs[1].ID {
			return fmt.Errorf("wrapped: %w", errHandler)
		}
		return nil
	}
	subs := map[string]*subscription{
		"SubscribeToStream": subscribeStream(t, s, stream, 0, failSecond),
		"SubscribeToAll":    subscribeAll(t, s, 0, domain.Filter{}, failSecond),
	}
	for name, sub := range subs {
		if err := sub.end(t); !errors.Is(err, errHandler) {
			t.Errorf("%s returned %v, want the handler's error", name, err)
		}
		if got := sub.event(t); got.ID != evs[0].ID {
			t.Errorf("%s delivered %s first, want %s", name, got.ID, evs[0].ID)
		}
		select {
		case it := <-sub.items:
			t.Errorf("%s went on after the handler failed: %+v", name, it)
		default:
		}
	}
}

func testCancel(t *testing.T, e env) {
	s := e.open(t)
	stream := streamName("conversation-cancel")
	mustAppend(t, s, stream, domain.NoStream(), newEvents(1))
	subs := map[string]*subscription{
		"SubscribeToStream live":         subscribeStream(t, s, stream, 0, nil),
		"SubscribeToStream on a missing": subscribeStream(t, s, streamName("conversation-none"), 0, nil),
		"SubscribeToAll live":            subscribeAll(t, s, 0, domain.Filter{}, nil),
	}
	for name, sub := range subs {
		for it := sub.next(t); !it.caughtUp; it = sub.next(t) {
		}
		start := time.Now()
		err := sub.stop(t)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s returned %v after cancel, want context.Canceled", name, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v to return after cancel", name, d)
		}
	}
}

// testManySubscribers runs several subscribers of each kind while three
// goroutines append to one stream: each must see every event once, in order.
func testManySubscribers(t *testing.T, e env) {
	const appenders, perAppender, streamSubs, allSubs = 3, 10, 8, 4
	s := e.open(t)
	stream := streamName("conversation-many")
	var subs []*subscription
	for range streamSubs {
		subs = append(subs, subscribeStream(t, s, stream, 0, nil))
	}
	for range allSubs {
		subs = append(subs, subscribeAll(t, s, 0, domain.Filter{StreamPrefix: stream}, nil))
	}
	for _, sub := range subs {
		sub.caughtUp(t)
	}

	ctx := testContext(t)
	errs := make(chan error, appenders*perAppender)
	var wg sync.WaitGroup
	for range appenders {
		wg.Go(func() {
			for range perAppender {
				_, err := s.Append(ctx, stream, domain.Any(), newEvents(1))
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	want := recordedIDs(mustReadStream(t, s, stream, 0, 1000))
	for i, sub := range subs {
		got, _ := sub.collect(t, len(want))
		if !slices.Equal(recordedIDs(got), want) {
			t.Fatalf("subscriber %d got %v, want %v", i, recordedIDs(got), want)
		}
		for j, ev := range got {
			if ev.Revision != domain.Revision(j) {
				t.Fatalf("subscriber %d got revision %d as event #%d", i, ev.Revision, j)
			}
		}
	}
}

// testBlockedSubscriber parks one handler for good: appends and another
// subscriber must carry on as if it were not there.
func testBlockedSubscriber(t *testing.T, e env) {
	const events = 40
	s := e.open(t)
	stream := streamName("conversation-slow")
	blocked := make(chan struct{})
	var once sync.Once
	subscribeAll(t, s, 0, domain.Filter{}, func(ctx context.Context, _ domain.RecordedEvent) error {
		once.Do(func() { close(blocked) })
		<-ctx.Done()
		return ctx.Err()
	})
	healthy := subscribeStream(t, s, stream, 0, nil)
	healthy.caughtUp(t)

	var want []string
	for i := range events {
		evs := newEvents(1)
		expected := domain.NoStream()
		if i > 0 {
			expected = domain.Exact(domain.Revision(i - 1))
		}
		mustAppend(t, s, stream, expected, evs)
		want = append(want, evs[0].ID)
		if i == 0 {
			waitSignal(t, blocked, "the blocked subscriber to get its first event")
		}
	}
	healthy.expect(t, want)
}
