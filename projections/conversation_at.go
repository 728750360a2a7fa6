package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Point names a moment of a conversation's history: right after the event
// at Sequence, or, when Sequence is negative, at the instant At.
type Point struct {
	Sequence int64
	At       time.Time
}

// AtSequence is the point right after the event at seq.
func AtSequence(seq int64) Point { return Point{Sequence: seq} }

// AtInstant is the point at instant t: after every event the store
// recorded at or before it.
func AtInstant(t time.Time) Point { return Point{Sequence: -1, At: t} }

// AsOf tells which event a past view stands right after.
type AsOf struct {
	Sequence int64 `json:"sequence"`
	// Recorded is when the store recorded that event (RFC 3339, UTC).
	Recorded string `json:"recorded"`
}

// pastReadSpan is the most events one store read of a past view asks for,
// as the live model's catch-up reads: folding a long history costs a span
// of events in memory, not the history.
const pastReadSpan = 1000

// IndexAt folds the prefix of conversation id's stream that ends at pt into
// a new index, with the same fold as the live model (Index.Apply), and says
// which event it ends at. A sequence beyond the stream's end gives the
// latest state, with its true AsOf. It returns a *domain.Error with
// CodeNotFound when the conversation does not exist, or did not yet at the
// instant.
func IndexAt(ctx context.Context, store domain.EventStore, id string, pt Point) (*Index, AsOf, error) {
	x := NewIndex(id)
	var asOf AsOf
	for {
		from := x.Version + 1
		n := int64(pastReadSpan)
		if pt.Sequence >= 0 {
			n = min(n, pt.Sequence-from+1)
		}
		if n <= 0 {
			break
		}
		recs, err := store.ReadStream(ctx, domain.StreamName(id), domain.Revision(from), int(n))
		if errors.Is(err, domain.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return nil, asOf, fmt.Errorf("read conversation %s: %w", id, err)
		}
		done := len(recs) < int(n)
		for _, rec := range recs {
			if pt.Sequence < 0 && rec.Recorded.After(pt.At) {
				done = true
				break
			}
			if err := x.Apply(rec); err != nil {
				return nil, asOf, err
			}
			asOf = AsOf{Sequence: int64(rec.Revision), Recorded: rec.Recorded.UTC().Format(time.RFC3339Nano)}
		}
		if done {
			break
		}
	}
	if x.Version < 0 {
		if pt.Sequence < 0 {
			if _, err := store.ReadStream(ctx, domain.StreamName(id), 0, 1); err == nil {
				return nil, asOf, domain.FieldError(domain.CodeNotFound, "asOf", "conversation %s did not exist yet at %s", id, pt.At.UTC().Format(time.RFC3339Nano))
			}
		}
		return nil, asOf, domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", id)
	}
	return x, asOf, nil
}

// SelectAt is ConversationInfos.Select over the view of conversation id as
// it was at pt: the page q selects, with AsOf set, without its messages.
func SelectAt(ctx context.Context, store domain.EventStore, id string, pt Point, q Query) (*Page, error) {
	x, asOf, err := IndexAt(ctx, store, id, pt)
	if err != nil {
		return nil, err
	}
	pg := x.Select(q)
	pg.AsOf = &asOf
	return pg, nil
}

// PageAt is SelectAt with the page's messages read from the store.
func PageAt(ctx context.Context, store domain.EventStore, id string, pt Point, q Query) (*Info, error) {
	pg, err := SelectAt(ctx, store, id, pt, q)
	if err != nil {
		return nil, err
	}
	err = EachMessage(ctx, store, id, pg.seqs, func(m domain.Message) error {
		pg.Messages = append(pg.Messages, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &pg.Info, nil
}
