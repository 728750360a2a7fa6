package webhook

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/resubscribe"
)

// generation delivers one webhook from one position until it is stopped
// (a lost claim, a pause, a replay, shutdown). Events of one conversation
// go out one after another, in order; conversations go out side by side,
// at most Concurrency requests at once, so one failing conversation does
// not hold up the others until Window events wait behind it.
type generation struct {
	w      *worker
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	sem    chan struct{} // requests in flight
	window chan struct{} // events read but not yet behind the checkpoint

	mu      sync.Mutex
	pending []pendingEvent // in position order
	queues  map[string][]domain.RecordedEvent
	from    domain.After // where this generation started
	replays int          // the webhook's replays when it started
	// last is the position of the last event read, or from before any.
	last   domain.After
	drains sync.WaitGroup
}

type pendingEvent struct {
	pos domain.Position
	// prev is where delivery resumes while this event is not delivered:
	// the position of the event read before it.
	prev     domain.After
	recorded time.Time
	done     bool
}

func startGeneration(parent context.Context, w *worker, from domain.After, replays int) *generation {
	ctx, cancel := context.WithCancel(parent)
	g := &generation{
		w: w, ctx: ctx, cancel: cancel, done: make(chan struct{}), from: from, last: from, replays: replays,
		sem:    make(chan struct{}, w.m.cfg.Concurrency),
		window: make(chan struct{}, w.m.cfg.Window),
		queues: map[string][]domain.RecordedEvent{},
	}
	go func() {
		defer close(g.done)
		g.read(from)
		g.drains.Wait()
	}()
	return g
}

// stop ends the generation and waits until no request is in flight.
func (g *generation) stop() {
	g.cancel()
	<-g.done
}

// read follows the conversation streams from from, resuming after the last
// event read if the subscription drops.
func (g *generation) read(from domain.After) {
	var wait resubscribe.Backoff
	_ = resubscribe.Loop(g.ctx, &wait, func() error {
		return g.w.m.cfg.Store.SubscribeToAll(g.ctx, from, domain.Filter{StreamPrefix: domain.StreamPrefix},
			func(ctx context.Context, rec domain.RecordedEvent) error {
				if err := g.accept(rec); err != nil {
					return err
				}
				from = domain.After(rec.Position)
				wait.Reset()
				return nil
			}, domain.SubscribeOptions{})
	}, func(err error, backoff time.Duration) bool {
		if errors.Is(err, context.Canceled) {
			return false
		}
		g.w.m.cfg.Logger.Warn("webhook subscription dropped; resuming", "webhook", g.w.spec.Name, "err", err, "backoff", backoff)
		return true
	})
}

// accept queues rec for delivery, or passes it by when the webhook does
// not want it. It blocks while Window events wait.
func (g *generation) accept(rec domain.RecordedEvent) error {
	if !g.w.spec.wants(rec) {
		g.mu.Lock()
		g.last = domain.After(rec.Position)
		g.mu.Unlock()
		return nil
	}
	select {
	case g.window <- struct{}{}:
	case <-g.ctx.Done():
		return g.ctx.Err()
	}
	conv, _ := domain.ConversationIDOf(rec.Stream)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, pendingEvent{pos: rec.Position, prev: g.last, recorded: rec.Recorded})
	g.last = domain.After(rec.Position)
	q, running := g.queues[conv]
	g.queues[conv] = append(q, rec)
	if !running {
		g.drains.Add(1)
		go g.drain(conv)
	}
	return nil
}

// drain delivers the queue of one conversation, in order, until it is
// empty or the generation stops.
func (g *generation) drain(conv string) {
	defer g.drains.Done()
	for {
		g.mu.Lock()
		q := g.queues[conv]
		if len(q) == 0 {
			delete(g.queues, conv)
			g.mu.Unlock()
			return
		}
		rec := q[0]
		g.mu.Unlock()
		if !g.deliver(conv, rec) {
			return
		}
		g.mu.Lock()
		g.queues[conv] = g.queues[conv][1:]
		g.markDone(rec.Position)
		g.mu.Unlock()
	}
}

// deliver sends rec until the receiver takes it, with capped exponential
// backoff and jitter between attempts; false means the generation stopped.
func (g *generation) deliver(conv string, rec domain.RecordedEvent) bool {
	body, err := g.w.spec.body(rec)
	if err != nil {
		// Stored events are valid JSON; this cannot be retried away.
		g.w.m.cfg.Logger.Error("webhook event not encodable; skipped", "webhook", g.w.spec.Name, "event", rec.ID, "err", err)
		return true
	}
	cfg := g.w.m.cfg
	for attempt := 1; ; attempt++ {
		select {
		case g.sem <- struct{}{}:
		case <-g.ctx.Done():
			return false
		}
		start := time.Now()
		ctx, end := g.ctx, func(error) {}
		if cfg.Trace != nil {
			ctx, end = cfg.Trace(g.ctx, g.w.spec.Name, rec)
		}
		err := g.w.m.sender.post(ctx, g.w.spec, rec.ID, body)
		end(err)
		<-g.sem
		if g.ctx.Err() != nil {
			return false // stopping: the event is delivered again later
		}
		if cfg.OnAttempt != nil {
			cfg.OnAttempt(g.w.spec.Name, err, time.Since(start))
		}
		if err == nil {
			g.w.succeeded(conv)
			return true
		}
		g.w.failed(conv, attempt, err)
		if !sleep(g.ctx, backoff(cfg.Backoff, cfg.MaxBackoff, attempt)) {
			return false
		}
	}
}

// backoff is the wait after the attempt-th failure: base doubled each
// time up to max, then a random half of it taken off, so receivers that
// come back are not hit by every retry at once.
func backoff(base, max time.Duration, attempt int) time.Duration {
	d := max
	if attempt < 30 {
		d = min(base<<(attempt-1), max)
	}
	return d/2 + rand.N(d/2+1)
}

// markDone records that the event at pos is delivered and lets the
// checkpoint pass every delivered event at the front. Callers hold mu.
func (g *generation) markDone(pos domain.Position) {
	i := sort.Search(len(g.pending), func(i int) bool { return g.pending[i].pos >= pos })
	if i < len(g.pending) && g.pending[i].pos == pos {
		g.pending[i].done = true
	}
	n := 0
	for n < len(g.pending) && g.pending[n].done {
		n++
	}
	if n > 0 {
		g.pending = append(g.pending[:0], g.pending[n:]...)
		for range n {
			<-g.window
		}
	}
}

// watermark returns where delivery would resume: after the event read
// before the first one not yet delivered, or after the last event read. It
// also returns the number of events waiting and when the oldest of them
// was recorded.
func (g *generation) watermark() (after domain.After, waiting int, oldest time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) > 0 {
		return g.pending[0].prev, len(g.pending), g.pending[0].recorded
	}
	return g.last, 0, time.Time{}
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
