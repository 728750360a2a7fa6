package chain

import (
	"context"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/domain"
)

// pageSize is how many events Verify and VerifyAll read at a time.
const pageSize = 1000

// Result is what verification found in one stream.
type Result struct {
	Stream string
	// Events is how many events the stream holds.
	Events uint64
	// Unchained counts the events stored before the chain was introduced
	// (no hash, before the first hashed event): not a break, as history
	// written by older builds must not fail.
	Unchained uint64
	// Head is the hash of the stream's last event ("" when it has none):
	// kept outside Parley, it lets a later check prove that nothing before
	// it changed.
	Head string
	// FirstBad is the revision of the first event whose hash does not
	// match, nil when the chain holds.
	FirstBad *domain.Revision
	// Reason says what is wrong at FirstBad.
	Reason string
}

// Valid reports whether the chain holds.
func (r Result) Valid() bool { return r.FirstBad == nil }

// Walker checks the chains of the events it is given, of one or many
// streams, each stream's events in revision order (as a stream read or a
// read of all streams delivers them). It must be given the events as the
// store holds them, not upcast ones: the hash covers the stored bytes.
type Walker struct {
	streams map[string]*walk
	order   []string
}

type walk struct {
	Result
	prev    string
	chained bool
	next    domain.Revision
}

// NewWalker returns an empty Walker.
func NewWalker() *Walker { return &Walker{streams: map[string]*walk{}} }

// Add checks one more event.
func (w *Walker) Add(rec domain.RecordedEvent) {
	st, ok := w.streams[rec.Stream]
	if !ok {
		st = &walk{Result: Result{Stream: rec.Stream}}
		w.streams[rec.Stream] = st
		w.order = append(w.order, rec.Stream)
	}
	st.Events++
	st.Head = rec.Metadata.Hash
	if st.FirstBad != nil {
		return
	}
	hash := rec.Metadata.Hash
	switch {
	case rec.Revision != st.next:
		st.bad(st.next, fmt.Sprintf("the event at revision %d is missing", st.next))
	case hash == "" && !st.chained:
		st.Unchained++
	case hash == "":
		st.bad(rec.Revision, "the event has no hash, after hashed events")
	default:
		if !st.chained {
			st.chained, st.prev = true, Genesis
		}
		if Hash(st.prev, Recorded(rec)) != hash {
			st.bad(rec.Revision, "the hash does not match the event's content and the previous event's hash")
		}
		st.prev = hash
	}
	st.next = rec.Revision + 1
}

func (st *walk) bad(r domain.Revision, reason string) {
	st.FirstBad, st.Reason = &r, reason
}

// Results returns what was found, a stream at a time in the order they
// were first seen.
func (w *Walker) Results() []Result {
	out := make([]Result, len(w.order))
	for i, s := range w.order {
		out[i] = w.streams[s].Result
	}
	return out
}

// Verify checks the chain of one stream of store, which must be the raw
// store (not one that upcasts on read). It returns domain.ErrStreamNotFound
// when the stream holds no event.
func Verify(ctx context.Context, store domain.EventStore, stream string) (Result, error) {
	w := NewWalker()
	for from := domain.Revision(0); ; {
		recs, err := store.ReadStream(ctx, stream, from, pageSize)
		if err != nil {
			return Result{}, err
		}
		for _, rec := range recs {
			w.Add(rec)
		}
		if len(recs) < pageSize {
			break
		}
		from = recs[len(recs)-1].Revision + 1
	}
	rs := w.Results()
	if len(rs) == 0 {
		return Result{}, domain.ErrStreamNotFound
	}
	return rs[0], nil
}

// VerifyAll checks the chain of every stream of store whose name starts
// with prefix (all streams for ""), in one read of all events; progress,
// when set, is told how many events were read so far after each page.
func VerifyAll(ctx context.Context, store domain.EventStore, prefix string, progress func(events int)) ([]Result, error) {
	w := NewWalker()
	read := 0
	for after := domain.After(0); ; {
		recs, err := store.ReadAll(ctx, after, pageSize)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			if strings.HasPrefix(rec.Stream, prefix) {
				w.Add(rec)
			}
		}
		read += len(recs)
		if progress != nil {
			progress(read)
		}
		if len(recs) == 0 {
			break
		}
		after = domain.After(recs[len(recs)-1].Position)
	}
	return w.Results(), nil
}
