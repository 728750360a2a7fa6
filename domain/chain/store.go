package chain

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
)

var _ domain.EventStore = (*Store)(nil)

// maxAttempts bounds how often an append with Any or StreamExists is tried
// again after another writer moved the stream's head in between: a
// writer on another node with the head in its cache may win many times in
// a row while this one reads the new head.
const maxAttempts = 100

// Options tunes a Store.
type Options struct {
	// Heads is how many streams' last hashes are kept in memory (default
	// 10,000). A stream not among them costs one read at its next append.
	Heads int
	// Raw is the store as it holds events, under whatever decorators
	// inner adds (a schema check that upcasts on read): Verify reads it.
	// Nil means inner.
	Raw domain.EventStore
}

// Store is a domain.EventStore decorator that sets each appended event's
// Metadata.Hash, chaining it to the previous event of its stream (ADR 40).
// Reads and subscriptions pass through untouched.
//
// Every append is turned into one whose expected revision names the event
// its first hash chains to, so that a store never places a hashed event
// after another event than the one it was hashed against: Exact and
// NoStream appends already do, and Any and StreamExists appends are made
// Exact on the head this node knows or reads, then tried again on the
// actual head when another writer (on this node or another) got there
// first. An Any append whose events are all found at the end of the stream
// is a retry that stores nothing, as the port promises.
type Store struct {
	inner domain.EventStore
	raw   domain.EventStore
	heads *heads
	// locks serialise Any and StreamExists appends per stream on this node,
	// so that they queue instead of racing to be tried again.
	locks [64]sync.Mutex
}

// New returns a Store that chains the events appended to inner.
func New(inner domain.EventStore, opts Options) *Store {
	if inner == nil {
		panic("chain.New: inner store is required")
	}
	if opts.Heads <= 0 {
		opts.Heads = 10_000
	}
	if opts.Raw == nil {
		opts.Raw = inner
	}
	return &Store{inner: inner, raw: opts.Raw, heads: newHeads(opts.Heads)}
}

// Verify checks the chain of one stream, on the stored bytes (see Verify).
func (s *Store) Verify(ctx context.Context, stream string) (Result, error) {
	return Verify(ctx, s.raw, stream)
}

// Append implements domain.EventStore.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	if len(events) == 0 {
		return s.inner.Append(ctx, stream, expected, events)
	}
	if expected.IsAny() || expected.IsStreamExists() {
		mu := s.lock(stream)
		mu.Lock()
		defer mu.Unlock()
		return s.appendAnywhere(ctx, stream, expected, events)
	}
	prev := Genesis
	if r, ok := expected.Exact(); ok {
		var err error
		if prev, err = s.linkAt(ctx, stream, r); err != nil {
			return domain.AppendResult{}, err
		}
	}
	return s.appendAt(ctx, stream, expected, prev, events)
}

// linkAt returns the link that an event appended after revision r of
// stream chains to (Genesis when there is no such event). Kept apart from
// Append so that the event read, a few hundred bytes, is not in Append's
// frame while the stores below it run: every command's goroutine goes
// through here.
func (s *Store) linkAt(ctx context.Context, stream string, r domain.Revision) (string, error) {
	rec, found, err := s.eventAt(ctx, stream, r)
	if err != nil || !found {
		return Genesis, err
	}
	return linkOf(rec.Metadata.Hash), nil
}

// appendAnywhere appends after whatever the stream holds: Exact on the
// head, tried again on the actual head while others move it.
func (s *Store) appendAnywhere(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	exp, prev := domain.NoStream(), Genesis
	if hd, ok := s.heads.get(stream); ok {
		exp, prev = domain.Exact(hd.rev), hd.hash
	} else if expected.IsStreamExists() {
		// A probe at revision 0: the answer names the actual head.
		rec, found, err := s.eventAt(ctx, stream, 0)
		if err != nil {
			return domain.AppendResult{}, err
		}
		if !found {
			return domain.AppendResult{}, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, ActualNoStream: true}
		}
		exp, prev = domain.Exact(0), linkOf(rec.Metadata.Hash)
	}
	for attempt := 1; ; attempt++ {
		res, err := s.appendAt(ctx, stream, exp, prev, events)
		var wev *domain.WrongExpectedVersionError
		if !errors.As(err, &wev) {
			return res, err
		}
		if attempt == maxAttempts {
			return res, &domain.Error{Code: domain.CodeConflict, Err: err,
				Message: fmt.Sprintf("append to %s: the stream kept moving for %d attempts", stream, maxAttempts)}
		}
		// Two writers that keep meeting would keep meeting: wait a random
		// while, longer each time, before trying again.
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(rand.N(time.Duration(min(attempt, 10)) * time.Millisecond)):
		}
		if wev.ActualNoStream {
			if expected.IsStreamExists() {
				return res, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, ActualNoStream: true}
			}
			exp, prev = domain.NoStream(), Genesis
			continue
		}
		rec, found, err := s.eventAt(ctx, stream, wev.Actual)
		if err != nil {
			return res, err
		}
		if !found {
			continue // gone again (a deleted stream): ask anew
		}
		if res, done, err := s.alreadyAppended(ctx, stream, rec, events); done || err != nil {
			return res, err
		}
		exp, prev = domain.Exact(wev.Actual), linkOf(rec.Metadata.Hash)
	}
}

// appendAt chains events to prev and appends them under exp, and keeps the
// new head when the store put them where exp says.
func (s *Store) appendAt(ctx context.Context, stream string, exp domain.ExpectedRevision, prev string, events []domain.EventData) (domain.AppendResult, error) {
	chained := slices.Clone(events)
	for i := range chained {
		e := &chained[i]
		e.Metadata.Hash = Hash(prev, Event{Stream: stream, ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata})
		prev = e.Metadata.Hash
	}
	res, err := s.inner.Append(ctx, stream, exp, chained)
	if err != nil {
		s.heads.forget(stream)
		return res, err
	}
	last := domain.Revision(len(events) - 1)
	if r, ok := exp.Exact(); ok {
		last += r + 1
	}
	if res.NextRevision == last {
		s.heads.put(stream, head{rev: last, hash: prev})
	} else {
		s.heads.forget(stream)
	}
	return res, nil
}

// eventAt returns the event at revision r: from the heads when it is the
// one this node appended last, else read from the store.
func (s *Store) eventAt(ctx context.Context, stream string, r domain.Revision) (domain.RecordedEvent, bool, error) {
	if hd, ok := s.heads.get(stream); ok && hd.rev == r {
		return domain.RecordedEvent{Stream: stream, Revision: r, Metadata: domain.Metadata{Hash: hd.hash}}, true, nil
	}
	recs, err := s.inner.ReadStream(ctx, stream, r, 1)
	if errors.Is(err, domain.ErrStreamNotFound) {
		return domain.RecordedEvent{}, false, nil
	}
	if err != nil {
		return domain.RecordedEvent{}, false, err
	}
	if len(recs) == 0 || recs[0].Revision != r {
		return domain.RecordedEvent{}, false, nil
	}
	return recs[0], true, nil
}

// alreadyAppended reports whether events are the last events of the
// stream, whose last event is rec: a retry of an Any append that was
// stored, which must store nothing.
func (s *Store) alreadyAppended(ctx context.Context, stream string, rec domain.RecordedEvent, events []domain.EventData) (domain.AppendResult, bool, error) {
	n := domain.Revision(len(events))
	if rec.ID == "" || rec.ID != events[n-1].ID || rec.Revision+1 < n {
		return domain.AppendResult{}, false, nil
	}
	recs, err := s.inner.ReadStream(ctx, stream, rec.Revision+1-n, int(n))
	if err != nil {
		return domain.AppendResult{}, false, err
	}
	if domain.Revision(len(recs)) != n {
		return domain.AppendResult{}, false, nil
	}
	for i, r := range recs {
		if r.ID != events[i].ID {
			return domain.AppendResult{}, false, nil
		}
	}
	return domain.AppendResult{NextRevision: rec.Revision, Position: rec.Position}, true, nil
}

// linkOf is what the next event chains to after an event with hash h: h,
// or Genesis after an event stored before the chain (the chain starts
// there).
func linkOf(h string) string {
	if h == "" {
		return Genesis
	}
	return h
}

func (s *Store) lock(stream string) *sync.Mutex {
	f := fnv.New32a()
	f.Write([]byte(stream))
	return &s.locks[f.Sum32()%uint32(len(s.locks))]
}

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	return s.inner.ReadStream(ctx, stream, from, max)
}

// ReadAll implements domain.EventStore.
func (s *Store) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
	return s.inner.ReadAll(ctx, after, max)
}

// SubscribeToStream implements domain.EventStore.
func (s *Store) SubscribeToStream(ctx context.Context, stream string, from domain.Revision, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.inner.SubscribeToStream(ctx, stream, from, h, opts)
}

// SubscribeToAll implements domain.EventStore.
func (s *Store) SubscribeToAll(ctx context.Context, after domain.After, filter domain.Filter, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.inner.SubscribeToAll(ctx, after, filter, h, opts)
}

// Ping implements domain.EventStore.
func (s *Store) Ping(ctx context.Context) error { return s.inner.Ping(ctx) }

// Close implements domain.EventStore.
func (s *Store) Close() error { return s.inner.Close() }
