package projections

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/parley-chat/parley/domain"
)

// Rebuild deletes every stored transcript and builds them all again from
// the whole history, then sets the checkpoint after the last event read.
// It reads the history once: each end found goes to the builders (several
// at once) with the conversation's events when recentEvents kept them all,
// and is otherwise folded from a read of its stream.
//
// The files are made durable by one barrier at the end, before the
// checkpoint is stored. Until then there is no checkpoint, so a crash
// midway makes Run start from the first event, and a barrier midway would
// vouch for nothing. (Barriers every 500 transcripts, on the goroutine that
// collects the results, stalled the builders and the read behind them: the
// rebuild ran on one core.)
//
// progress, when set, is called on the calling goroutine each time a
// transcript is built, with the number built so far and the number of ended
// conversations found so far, which grows while the history is read and is
// the total at the last call. Rebuild returns how many transcripts it
// built, and the first error met, after which it stops building.
func (p *Transcripts) Rebuild(ctx context.Context, progress func(done, found int)) (int, error) {
	if err := p.files.Clear(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan *endJob, builders())
	results := make(chan buildResult, builders())
	var found atomic.Int64
	var next domain.After
	var scanErr error
	var wg sync.WaitGroup
	for range builders() {
		wg.Go(func() {
			for j := range jobs {
				results <- buildResult{j.id, p.write(ctx, j.id, j.recs)}
			}
		})
	}
	go func() {
		defer close(jobs)
		next, scanErr = p.scanEnds(ctx, func(j *endJob) bool {
			found.Add(1)
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	done, first := collect(results, cancel, func(done int) {
		if progress != nil {
			progress(done, int(found.Load()))
		}
	})
	// results is closed once jobs is, so the scan has ended.
	if first == nil && scanErr != nil {
		first = scanErr
	}
	if first != nil {
		return done, first
	}
	if err := p.files.Sync(); err != nil {
		return done, err
	}
	if err := saveCheckpoint(p.files, next); err != nil {
		return done, err
	}
	return done, nil
}

// buildResult is the outcome of building one conversation's transcript.
type buildResult struct {
	id  string
	err error
}

// collect counts the transcripts built until results closes, calling
// built with the count after each until the first failure, which it
// returns; at that failure it calls cancel so the builders stop.
func collect(results <-chan buildResult, cancel func(), built func(done int)) (int, error) {
	var first error
	done := 0
	for r := range results {
		if r.err != nil {
			if first == nil {
				first = fmt.Errorf("build transcript of %s: %w", r.id, r.err)
				cancel()
			}
			continue
		}
		done++
		if first == nil {
			built(done)
		}
	}
	return done, first
}

// scanEnds reads the whole history once and hands each conversation's end
// to end, in order, with the conversation's events when recentEvents kept
// them all; it stops when end returns false. It returns the position of
// the last event read: the next read starts after it.
func (p *Transcripts) scanEnds(ctx context.Context, end func(*endJob) bool) (domain.After, error) {
	recent := newRecentEvents(rebuildRecentBytes)
	var last domain.After
	const page = 1000
	for {
		recs, err := p.store.ReadAll(ctx, last, page)
		if err != nil {
			return last, fmt.Errorf("read all events: %w", err)
		}
		for _, rec := range recs {
			before := last
			last = domain.After(rec.Position)
			id, ok := domain.ConversationIDOf(rec.Stream)
			if !ok {
				continue
			}
			recent.add(rec)
			if isEnd(rec) && !end(&endJob{id: id, before: before, recs: recent.take(rec.Stream)}) {
				return last, context.Cause(ctx)
			}
		}
		if len(recs) < page {
			return last, nil
		}
	}
}
