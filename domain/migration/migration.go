// Package migration copies the event history of one store into another:
// every stream, in the source's global order, with each event's id, type,
// data, metadata, revision and recorded time. It works on the
// domain.EventStore port alone, so it copies between any two stores, and it
// is safe to run again: an event the target holds already is not stored
// twice.
package migration

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Defaults for the zero values of Options.
const (
	DefaultPageSize   = 1000
	DefaultBatchBytes = 512 << 10
	defaultBatchSize  = 500
)

// Options tunes a copy. The zero value is ready to use.
type Options struct {
	// PageSize is how many events are read from the source at once.
	PageSize int
	// BatchBytes bounds the data of one append. Consecutive events of one
	// stream are appended together up to it; EventStoreDB refuses appends
	// over its --max-append-size (1 MiB by default).
	BatchBytes int
	// Progress, when set, is called after each append with the number of
	// source events handled so far and the total.
	Progress func(done, total int)
	// Check, when set, is called with every source event before anything
	// is copied; an error stops the run with nothing copied. The schemas
	// are checked here (ADR 32): reads trust what Parley wrote.
	Check func(domain.RecordedEvent) error
	// Sealing tells that the target seals personal values on the way in
	// (ADR 41) and chains what it keeps (ADR 40): verification then holds
	// an event the target keeps sealed and the source does not to its id
	// and type, as its data and metadata differ by design, and compares
	// no hashes (parley audit verify checks the target's chain).
	Sealing bool
	// Stored, when set, is the target as it stores events (below the
	// store that seals): verification reads it, to compare what is kept.
	Stored domain.EventStore
}

func (o *Options) setDefaults() {
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.Progress == nil {
		o.Progress = func(int, int) {}
	}
}

// Report tells what a copy did.
type Report struct {
	// Events and Streams count what the source holds and the target now
	// holds too (copied by this run or found there already).
	Events, Streams int
	// Copied counts the events this run stored in the target, and Existing
	// those the target held already (from an earlier run): Copied +
	// Existing = Events.
	Copied, Existing int
	// Appends is the number of appends made (one per batch, and one per
	// event of a batch the target held in part); Took is the time the copy
	// took, verification excluded.
	Appends int
	Took    time.Duration
}

// streamState is what the copy knows of one stream.
type streamState struct {
	n uint64 // events copied: the next revision expected from the source
	// existing is how many events the target held in the stream before
	// the copy reached it.
	existing uint64
}

// Copier copies one store into another, once: it remembers what it copied
// for Verify.
type Copier struct {
	from, to domain.EventStore
	opts     Options
	streams  map[string]*streamState
	appends  int
}

// New returns a Copier from one store to another. Both are used as they
// are: pass the raw stores, not schema-checked ones, so that events are
// copied byte for byte and old schema versions are not upcast.
func New(from, to domain.EventStore, opts Options) *Copier {
	opts.setDefaults()
	return &Copier{from: from, to: to, opts: opts, streams: map[string]*streamState{}}
}

// Run counts the source's events, copies them, then verifies the result
// (see Verify).
func (c *Copier) Run(ctx context.Context) (Report, error) {
	total, err := c.count(ctx)
	if err != nil {
		return Report{}, err
	}
	rep, err := c.Copy(ctx, total)
	if err != nil {
		return rep, err
	}
	return rep, c.Verify(ctx)
}

// count returns how many events the source holds now, for progress, and
// checks each with Options.Check.
func (c *Copier) count(ctx context.Context) (int, error) {
	n := 0
	err := c.pages(ctx, func(page []domain.RecordedEvent) error {
		for _, rec := range page {
			if c.opts.Check == nil {
				break // nothing to check
			}
			if err := c.opts.Check(rec); err != nil {
				return fmt.Errorf("the source's event %s (%s at %s@%d) fails its check, nothing was copied: %w", rec.ID, rec.Type, rec.Stream, rec.Revision, err)
			}
		}
		n += len(page)
		return nil
	})
	return n, err
}

// pages reads the source's $all in order, one page at a time.
func (c *Copier) pages(ctx context.Context, each func([]domain.RecordedEvent) error) error {
	var after domain.After
	for {
		page, err := c.from.ReadAll(ctx, after, c.opts.PageSize)
		if err != nil {
			return fmt.Errorf("read the source after position %d: %w", after, err)
		}
		if err := each(page); err != nil {
			return err
		}
		if len(page) < c.opts.PageSize {
			return nil
		}
		after = domain.After(page[len(page)-1].Position)
	}
}

// Copy appends every event of the source to the same stream of the target,
// in the source's global order, each batch with the exact revision the
// source had before it. total is only for progress.
func (c *Copier) Copy(ctx context.Context, total int) (Report, error) {
	start := time.Now()
	var rep Report
	err := c.pages(ctx, func(page []domain.RecordedEvent) error {
		for len(page) > 0 {
			k := c.batchLen(page)
			existing, err := c.copyBatch(ctx, page[:k])
			if err != nil {
				return err
			}
			rep.Events += k
			rep.Existing += existing
			rep.Copied += k - existing
			page = page[k:]
			c.opts.Progress(rep.Events, max(total, rep.Events))
		}
		return nil
	})
	rep.Streams, rep.Appends = len(c.streams), c.appends
	rep.Took = time.Since(start)
	return rep, err
}

// batchLen returns how many events at the head of page go in one append:
// consecutive events of one stream, within the size limits. Appending them
// together changes nothing a reader can see but saves a commit each.
func (c *Copier) batchLen(page []domain.RecordedEvent) int {
	size := len(page[0].Data)
	k := 1
	for k < len(page) && k < defaultBatchSize && page[k].Stream == page[0].Stream && page[k].Revision == page[k-1].Revision+1 {
		size += len(page[k].Data)
		if size > c.opts.BatchBytes {
			break
		}
		k++
	}
	return k
}

// copyBatch appends events of one stream. The exact expected revision makes
// a re-run a no-op: the stores treat the same ids at the same revisions as
// a retry. A batch that the target holds only in part (a run stopped
// half-way, or batched differently) is retried event by event. It returns
// how many of the events the target held already.
func (c *Copier) copyBatch(ctx context.Context, evs []domain.RecordedEvent) (int, error) {
	st := c.streams[evs[0].Stream]
	if st == nil {
		// What the target holds already is counted once per stream, to
		// report what this run copied and what an earlier one had.
		n, err := streamLen(ctx, c.to, evs[0].Stream)
		if err != nil {
			return 0, fmt.Errorf("target: %w", err)
		}
		st = &streamState{existing: n}
		c.streams[evs[0].Stream] = st
	}
	if evs[0].Revision != st.n {
		// EventStoreDB can hold streams whose first events were truncated
		// or that hold '$' events, which reads of $all skip; revisions
		// could not be kept.
		return 0, fmt.Errorf("stream %s: the source has revision %d where %d was expected; "+
			"streams with truncated history or system events cannot be copied with their revisions",
			evs[0].Stream, evs[0].Revision, st.n)
	}
	err := c.append(ctx, evs)
	var wev *domain.WrongExpectedVersionError
	failed := evs[0].Revision
	if errors.As(err, &wev) && len(evs) > 1 {
		for i := range evs {
			if err = c.append(ctx, evs[i:i+1]); err != nil {
				failed = evs[i].Revision
				break
			}
		}
	}
	if errors.As(err, &wev) {
		return 0, fmt.Errorf("stream %s on the target differs from the source at revision %d (the target's "+
			"last revision is %s); copy into a store that does not hold this stream: %w",
			evs[0].Stream, failed, actual(wev), err)
	}
	if err != nil {
		return 0, err
	}
	st.n += uint64(len(evs))
	existing := 0
	for _, e := range evs {
		if e.Revision < st.existing {
			existing++
		}
	}
	return existing, nil
}

func (c *Copier) append(ctx context.Context, evs []domain.RecordedEvent) error {
	expected := domain.NoStream()
	if r := evs[0].Revision; r > 0 {
		expected = domain.Exact(r - 1)
	}
	data := make([]domain.EventData, len(evs))
	for i, e := range evs {
		data[i] = domain.EventData{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata, Recorded: e.Recorded}
	}
	c.appends++
	res, err := c.to.Append(ctx, evs[0].Stream, expected, data)
	if err != nil {
		return fmt.Errorf("append to %s at revision %d: %w", evs[0].Stream, evs[0].Revision, err)
	}
	if last := evs[len(evs)-1].Revision; res.NextRevision != last {
		return fmt.Errorf("append to %s: the target put revision %d at %d", evs[0].Stream, last, res.NextRevision)
	}
	return nil
}

func actual(w *domain.WrongExpectedVersionError) string {
	if w.ActualNoStream {
		return "none"
	}
	return fmt.Sprint(w.Actual)
}
