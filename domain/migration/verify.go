package migration

import (
	"bytes"
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
	// Differs names what first differs between two events at the same
	// revision, At ("id", "type", "data" or "metadata"); empty when the
	// events both stores hold are the same and only their numbers differ.
	Differs string
	At      uint64
}

// VerifyError is returned when streams differ after a copy.
type VerifyError struct {
	Streams    int // streams checked
	Mismatches []Mismatch
}

// Error counts the streams that differ and names the first five, and says
// when the source only grew during the copy.
func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verification failed: %d of %d streams differ", len(e.Mismatches), e.Streams)
	grew := true
	for i, m := range e.Mismatches {
		if i < 5 && m.Differs != "" {
			fmt.Fprintf(&b, "; %s: the event at revision %d has another %s on each side", m.Stream, m.At, m.Differs)
		} else if i < 5 {
			fmt.Fprintf(&b, "; %s: %d events copied, the source holds %d, the target %d", m.Stream, m.Copied, m.Source, m.Target)
		}
		grew = grew && m.Differs == "" && m.Target == m.Copied && m.Source > m.Copied
	}
	if len(e.Mismatches) > 5 {
		fmt.Fprintf(&b, "; and %d more", len(e.Mismatches)-5)
	}
	if grew {
		b.WriteString(" (the source took new events during the copy: run it again to copy them)")
	}
	return b.String()
}

// Verify checks every stream the copy handled, event by event: the source
// and the target must both hold exactly as many events as were copied, and
// the same id, type, data (byte for byte) and metadata at every revision.
// Recorded times are not compared: EventStoreDB keeps them in the metadata
// it returns apart (ADR 7). It returns a *VerifyError listing the streams
// that differ.
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

// verifyPage is how many events of a stream are read at once from each side.
const verifyPage = 1000

// check compares one stream on both sides, a page at a time, with each
// other and with what was copied.
func (c *Copier) check(ctx context.Context, name string) (Mismatch, bool, error) {
	st := c.streams[name]
	m := Mismatch{Stream: name, Copied: st.n}
	for from := uint64(0); ; from += verifyPage {
		src, err := readPage(ctx, c.from, name, from)
		if err != nil {
			return m, false, fmt.Errorf("source: %w", err)
		}
		stored := c.to
		if c.opts.Stored != nil {
			stored = c.opts.Stored
		}
		dst, err := readPage(ctx, stored, name, from)
		if err != nil {
			return m, false, fmt.Errorf("target: %w", err)
		}
		m.Source += uint64(len(src))
		m.Target += uint64(len(dst))
		for i := 0; i < min(len(src), len(dst)) && m.Differs == ""; i++ {
			if what := c.differs(src[i], dst[i]); what != "" {
				m.Differs, m.At = what, src[i].Revision
			}
		}
		if len(src) < verifyPage && len(dst) < verifyPage {
			break
		}
	}
	return m, m.Differs == "" && m.Source == st.n && m.Target == st.n, nil
}

// differs names the first of id, type, data and metadata in which a and b
// differ, or returns "".
func (c *Copier) differs(a, b domain.RecordedEvent) string {
	sealedHere := c.opts.Sealing && a.Metadata.KeyID == "" && b.Metadata.KeyID != ""
	if c.opts.Sealing {
		// The target's chain hashed what it keeps: after an event sealed
		// on the way, every hash of its stream differs from the source's.
		a.Metadata.Hash, b.Metadata.Hash = "", ""
	}
	switch {
	case a.ID != b.ID:
		return "id"
	case a.Type != b.Type:
		return "type"
	case sealedHere:
		return ""
	case !bytes.Equal(a.Data, b.Data):
		return "data"
	case a.Metadata != b.Metadata:
		return "metadata"
	}
	return ""
}

// readPage reads up to verifyPage events of a stream from revision from; a
// stream that holds none is an empty page.
func readPage(ctx context.Context, s domain.EventStore, name string, from uint64) ([]domain.RecordedEvent, error) {
	recs, err := s.ReadStream(ctx, name, from, verifyPage)
	if errors.Is(err, domain.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return recs, nil
}

func streamLen(ctx context.Context, s domain.EventStore, name string) (uint64, error) {
	var n uint64
	for {
		recs, err := readPage(ctx, s, name, n)
		if err != nil {
			return n, err
		}
		n += uint64(len(recs))
		if len(recs) < verifyPage {
			return n, nil
		}
	}
}
