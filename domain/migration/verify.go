package migration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// verifyWorkers is how many streams are checked at once: each check is a
// round trip to each store, and a few in flight hide most of the latency
// without loading a shared node.
const verifyWorkers = 4

// Mismatch is a stream whose events differ between the two stores after a
// copy.
type Mismatch struct {
	Stream string
	// Copied is how many events of the stream the copy handled; Source and
	// Target how many each store holds now.
	Copied, Source, Target uint64
}

// VerifyError is returned when streams differ after a copy.
type VerifyError struct {
	Streams    int // streams checked
	Mismatches []Mismatch
}

func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verification failed: %d of %d streams differ", len(e.Mismatches), e.Streams)
	grew := true
	for i, m := range e.Mismatches {
		if i < 5 {
			fmt.Fprintf(&b, "; %s: %d events copied, the source holds %d, the target %d", m.Stream, m.Copied, m.Source, m.Target)
		}
		grew = grew && m.Target == m.Copied && m.Source > m.Copied
	}
	if len(e.Mismatches) > 5 {
		fmt.Fprintf(&b, "; and %d more", len(e.Mismatches)-5)
	}
	if grew {
		b.WriteString(" (the source took new events during the copy: run it again to copy them)")
	}
	return b.String()
}

// Verify checks every stream the copy handled: the source and the target
// must both hold exactly as many events as were copied, and end with the
// event copied last. (Ids at every other revision are checked by the copy
// itself: the target accepts an event at an exact revision only after the
// same ids.) It returns a *VerifyError listing the streams that differ.
func (c *Copier) Verify(ctx context.Context) error {
	names := make([]string, 0, len(c.streams))
	for name := range c.streams {
		names = append(names, name)
	}
	slices.Sort(names)
	work := make(chan string)
	var (
		mu         sync.Mutex
		mismatches []Mismatch
		errs       []error
		wg         sync.WaitGroup
	)
	for range verifyWorkers {
		wg.Go(func() {
			for name := range work {
				m, ok, err := c.check(ctx, name)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if !ok {
					mismatches = append(mismatches, m)
				}
				mu.Unlock()
			}
		})
	}
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		work <- name
	}
	close(work)
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if len(mismatches) > 0 {
		slices.SortFunc(mismatches, func(a, b Mismatch) int { return strings.Compare(a.Stream, b.Stream) })
		return &VerifyError{Streams: len(names), Mismatches: mismatches}
	}
	return nil
}

// check compares one stream on both sides with what was copied; only when
// they differ does it count their events.
func (c *Copier) check(ctx context.Context, name string) (Mismatch, bool, error) {
	st := c.streams[name]
	srcOK, err := endsWith(ctx, c.from, name, st)
	if err != nil {
		return Mismatch{}, false, fmt.Errorf("source: %w", err)
	}
	dstOK, err := endsWith(ctx, c.to, name, st)
	if err != nil {
		return Mismatch{}, false, fmt.Errorf("target: %w", err)
	}
	if srcOK && dstOK {
		return Mismatch{}, true, nil
	}
	m := Mismatch{Stream: name, Copied: st.n}
	if m.Source, err = streamLen(ctx, c.from, name); err != nil {
		return m, false, fmt.Errorf("source: %w", err)
	}
	if m.Target, err = streamLen(ctx, c.to, name); err != nil {
		return m, false, fmt.Errorf("target: %w", err)
	}
	return m, false, nil
}

// endsWith reports whether the stream's last event is the st.n-th and has
// the id st.last.
func endsWith(ctx context.Context, s domain.EventStore, name string, st *streamState) (bool, error) {
	recs, err := s.ReadStream(ctx, name, st.n-1, 2)
	if errors.Is(err, domain.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", name, err)
	}
	return len(recs) == 1 && recs[0].ID == st.last, nil
}

func streamLen(ctx context.Context, s domain.EventStore, name string) (uint64, error) {
	const page = 1000
	var n uint64
	for {
		recs, err := s.ReadStream(ctx, name, n, page)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read %s: %w", name, err)
		}
		n += uint64(len(recs))
		if len(recs) < page {
			return n, nil
		}
	}
}
