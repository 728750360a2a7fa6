package projections

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// DefaultPageSize is the most messages a page holds when not configured
// otherwise (--max-info-messages).
const DefaultPageSize = 500

// Query selects a page of a conversation's messages.
type Query struct {
	// Viewer, when set, keeps only the messages this participant may see.
	Viewer *domain.Participant
	// Since, when 0 or more, selects the oldest messages after it; when
	// negative, the newest.
	Since int64
	// Before, when 0 or more, keeps only the messages before it.
	Before int64
	// Limit is the most messages the page holds; 0 or less means
	// DefaultPageSize.
	Limit int
}

// Page is a selected page: the view without its messages, and the
// sequences of the messages to read from the store.
type Page struct {
	Info
	seqs []int64
}

// Sequences returns the sequences of the page's messages, in order.
func (pg *Page) Sequences() []int64 { return pg.seqs }

// Select returns the page q selects. It copies what it needs, so the page
// stays valid after the index changes.
func (x *Index) Select(q Query) *Page {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	pg := &Page{Info: *x.view()}
	if q.Viewer != nil && !q.Viewer.Role.IsStaff() {
		pg.Conversation.Fields = nil // the developer's fields are for staff only
	}
	keep := func(r *messageRef) bool { return q.Viewer == nil || r.visibleTo(q.Viewer.ID, q.Viewer.Role) }
	end := len(x.refs)
	if q.Before >= 0 {
		end = sort.Search(len(x.refs), func(i int) bool { return x.refs[i].seq >= q.Before })
	}
	if q.Since >= 0 {
		i := sort.Search(end, func(i int) bool { return x.refs[i].seq > q.Since })
		for ; i < end; i++ {
			if !keep(&x.refs[i]) {
				continue
			}
			if len(pg.seqs) == limit {
				pg.More = true
				since := pg.seqs[limit-1]
				pg.Since = &since
				break
			}
			pg.seqs = append(pg.seqs, x.refs[i].seq)
		}
		return pg
	}
	for i := end - 1; i >= 0; i-- {
		if !keep(&x.refs[i]) {
			continue
		}
		if len(pg.seqs) == limit {
			pg.More = true
			before := pg.seqs[limit-1]
			pg.Before = &before
			break
		}
		pg.seqs = append(pg.seqs, x.refs[i].seq)
	}
	slices.Reverse(pg.seqs)
	return pg
}

// view returns the index's view with no messages, unaffected by later
// changes to the index.
func (x *Index) view() *Info {
	return &Info{Conversation: x.Conversation, Participants: slices.Clone(x.Participants), Version: x.Version, LostInRepair: slices.Clone(x.LostInRepair), Messages: []domain.Message{}}
}

// find returns the sequence of the message with the given id.
func (x *Index) find(messageID string) (int64, bool) {
	for i := range x.refs {
		if x.refs[i].id == messageID {
			return x.refs[i].seq, true
		}
	}
	return 0, false
}

// readSpan is the most events one store read of a page asks for: the
// memory a page costs while it is read is a span of events, not the page.
const readSpan = 64

// EachMessage reads the messages at seqs (ascending) of conversation id from
// store and calls fn with each, in order, a span of events at a time. Events
// between them that the page does not hold are skipped with one read where
// they are few and jumped over where they are many.
func EachMessage(ctx context.Context, store domain.EventStore, id string, seqs []int64, fn func(domain.Message) error) error {
	for i := 0; i < len(seqs); {
		n := int64(1)
		for j := i + 1; j < len(seqs) && seqs[j]-seqs[i] < readSpan; j++ {
			n = seqs[j] - seqs[i] + 1
		}
		recs, err := store.ReadStream(ctx, domain.StreamName(id), domain.Revision(seqs[i]), int(n))
		if err != nil {
			return fmt.Errorf("read messages of %s: %w", id, err)
		}
		start := i
		for _, rec := range recs {
			if i == len(seqs) || int64(rec.Revision) != seqs[i] {
				continue
			}
			e, err := storedjson.DecodeEvent(rec)
			if err != nil {
				return err
			}
			m, ok := e.(domain.Message)
			if !ok {
				return fmt.Errorf("read messages of %s: event %d is a %s, not a message", id, rec.Revision, rec.Type)
			}
			if err := fn(m); err != nil {
				return err
			}
			i++
		}
		if i == start {
			return fmt.Errorf("read messages of %s: message %d is missing from the store", id, seqs[i])
		}
	}
	return nil
}
