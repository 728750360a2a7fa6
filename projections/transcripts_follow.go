package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/resubscribe"
)

// checkpointEvery is how often, at most, Run makes the transcripts written
// since the last time durable and moves its checkpoint past them, besides
// each time it has caught up and when it stops.
const checkpointEvery = time.Second

// recentBytes bounds the memory that Run spends on keeping the events of
// conversations it has followed from their first event (recentEvents). A
// conversation evicted from it costs one read of its stream when it ends,
// so a few MiB are enough; more was held for good under load (ADR 43).
const recentBytes = 4 << 20

// rebuildRecentBytes is recentEvents' budget in Rebuild, which holds it only
// while it reads the history once and reads far more conversations at once.
const rebuildRecentBytes = 16 << 20

// Run keeps the projection current until ctx ends, and returns ctx's error:
// it subscribes to every conversation stream from the checkpoint and builds
// a conversation's transcript when its end arrives, several at once: from
// the events the subscription delivered when it kept all of them (see
// recentEvents), otherwise from a read of the stream. ready is called each
// time the subscription has caught up and every transcript it reached is
// written and durable, with the checkpoint saved.
//
// The checkpoint moves at most once every checkpointEvery, when caught up
// and when stopping, and only to a position before which every ended
// conversation's file is durable (see Transcripts). A store failure, a
// transcript that could not be written or a barrier that failed ends the
// subscription, which resumes with backoff from the first conversation not
// known to be durable; building a transcript again is harmless, since the
// same events give the same bytes. A history that does not fold is logged
// and passed over: a retry would fail alike, and Get reports the error when
// that transcript is asked for.
func (p *Transcripts) Run(ctx context.Context, ready func()) error {
	cp, err := loadCheckpoint(p.files)
	if err != nil {
		// Folding from the start again is slow but harmless.
		p.logger.Warn("transcript checkpoint unreadable; following from the first event", "err", err)
	}
	f := &follower{p: p, saved: cp, next: cp}
	f.cond = sync.NewCond(&f.mu)

	stopFlusher := make(chan struct{})
	var flusher sync.WaitGroup
	flusher.Go(func() {
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-stopFlusher:
				return
			case <-tick.C:
				f.flush()
			}
		}
	})
	defer func() {
		close(stopFlusher)
		flusher.Wait()
		f.flush()
	}()

	var wait resubscribe.Backoff
	return resubscribe.Loop(ctx, &wait, func() error { return f.follow(ctx, ready) },
		func(err error, backoff time.Duration) bool {
			p.logger.Warn("transcript projection subscription dropped; resuming", "err", err, "backoff", backoff)
			return true
		})
}

// follower is Run's state: the ends handed to the builders and how far the
// files written, and those made durable, reach.
type follower struct {
	p      *Transcripts
	recent *recentEvents // the subscription's goroutine's alone

	flushMu sync.Mutex // one barrier and checkpoint at a time

	mu      sync.Mutex
	cond    *sync.Cond // broadcast when a build ends, well or not
	saved   domain.After
	next    domain.After // the last event handled: the subscription resumes after it
	pending []*endJob    // ends handed to the builders, in order, from the first not yet written
	failed  bool         // a build must be retried: the subscription is ending
	broken  bool         // a barrier failed: resume from saved, writing everything after it again
	stop    context.CancelCauseFunc
}

type endJob struct {
	id string
	// before is the last event handled before this conversation's end: a
	// resumption after it handles the end again.
	before domain.After
	recs   []domain.RecordedEvent // the conversation's events when recent kept them all
	done   bool
}

// stable returns the position up to which every ended conversation's file
// is written: just before the first end not yet built, or the last event
// handled. f.mu is held.
func (f *follower) stable() domain.After {
	if len(f.pending) > 0 {
		return f.pending[0].before
	}
	return f.next
}

// follow runs one subscription, from the first conversation not known to
// be written, until it fails or ctx ends, and returns why it ended once no
// build is running any more.
func (f *follower) follow(ctx context.Context, ready func()) error {
	sub, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	f.mu.Lock()
	if f.broken {
		f.next, f.broken = f.saved, false
	} else {
		f.next = f.stable()
	}
	from := f.next
	f.pending, f.failed, f.stop = nil, false, stop
	f.mu.Unlock()
	f.recent = newRecentEvents(recentBytes)

	jobs := make(chan *endJob, builders())
	var wg sync.WaitGroup
	for range builders() {
		wg.Go(func() {
			for j := range jobs {
				f.build(sub, j)
			}
		})
	}
	err := f.p.store.SubscribeToAll(sub, from, domain.Filter{StreamPrefix: domain.StreamPrefix},
		func(_ context.Context, rec domain.RecordedEvent) error { return f.handle(sub, jobs, rec) },
		domain.SubscribeOptions{OnCaughtUp: func() {
			if f.drained() && f.flush() && ready != nil {
				ready()
			}
		}})
	close(jobs)
	wg.Wait()
	if ctx.Err() == nil && sub.Err() != nil {
		err = context.Cause(sub)
	}
	return err
}

func (f *follower) handle(ctx context.Context, jobs chan<- *endJob, rec domain.RecordedEvent) error {
	f.recent.add(rec)
	erased := f.p.erased(rec)
	if !isEnd(rec) && !erased {
		f.mu.Lock()
		f.next = domain.After(rec.Position)
		f.mu.Unlock()
		return nil
	}
	id, _ := domain.ConversationIDOf(rec.Stream)
	recs := f.recent.take(rec.Stream)
	if erased {
		recs = nil // read before the erasure: fold what the store gives now
	}
	f.mu.Lock()
	j := &endJob{id: id, before: f.next, recs: recs}
	f.pending = append(f.pending, j)
	f.next = domain.After(rec.Position)
	f.mu.Unlock()
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// build writes one transcript and records the outcome.
func (f *follower) build(ctx context.Context, j *endJob) {
	err := context.Cause(ctx)
	if err == nil {
		err = f.p.write(ctx, j.id, j.recs)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.cond.Broadcast()
	var werr writeError
	if err != nil && (ctx.Err() != nil || domain.ErrorCode(err) == domain.CodeUnavailable || errors.As(err, &werr)) {
		if !f.failed {
			f.failed = true
			f.stop(fmt.Errorf("transcript of %s: %w", j.id, err))
		}
		return
	}
	if err != nil {
		f.p.logger.Error("transcript not built", "conversation", j.id, "err", err)
	}
	j.done, j.recs = true, nil
	for len(f.pending) > 0 && f.pending[0].done {
		f.pending = f.pending[1:]
	}
}

// drained waits until every end handed to the builders is written, and
// reports whether they all were.
func (f *follower) drained() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.pending) > 0 && !f.failed {
		f.cond.Wait()
	}
	return !f.failed
}

// flush makes the files written so far durable and then moves the
// checkpoint up to them, and reports whether the checkpoint is now up to
// date. A failed barrier leaves the checkpoint where it is and ends the
// subscription, which resumes from the checkpoint so that every file after
// it is written again before a barrier vouches for it.
func (f *follower) flush() bool {
	f.flushMu.Lock()
	defer f.flushMu.Unlock()
	f.mu.Lock()
	pos, saved, broken := f.stable(), f.saved, f.broken
	f.mu.Unlock()
	if broken {
		return false
	}
	if pos == saved {
		return true
	}
	if err := f.p.files.Sync(); err != nil {
		f.p.logger.Error("transcripts not made durable; writing them again", "err", err)
		f.mu.Lock()
		f.broken = true
		if f.stop != nil {
			f.stop(err)
		}
		f.mu.Unlock()
		return false
	}
	if err := saveCheckpoint(f.p.files, pos); err != nil {
		f.p.logger.Warn("transcript checkpoint not saved", "err", err)
		return false
	}
	f.mu.Lock()
	f.saved = pos
	f.mu.Unlock()
	return true
}
