package projections

import (
	"bytes"
	"container/list"

	"github.com/parley-chat/parley/domain"
)

// recentEvents keeps, within a budget of bytes, the events of the
// conversations that a subscription has delivered from their first event,
// so that a conversation is folded from the events the subscription already
// read (through the same checked store) rather than read again when its end
// arrives. It is a cache and nothing more: a conversation that it evicted
// to stay within budget, or did not see from its first event (it began
// before the checkpoint), or saw with a gap, is read from its stream as
// before. Memory thus stays bounded however many conversations are ongoing.
type recentEvents struct {
	budget, size int
	convs        map[string]*recentConv // by stream
	age          *list.List             // of *recentConv, oldest first
}

type recentConv struct {
	stream string
	recs   []domain.RecordedEvent
	size   int
	elem   *list.Element
}

func newRecentEvents(budget int) *recentEvents {
	return &recentEvents{budget: budget, convs: map[string]*recentConv{}, age: list.New()}
}

// recordOverhead approximates what a RecordedEvent costs besides its data.
const recordOverhead = 256

func (r *recentEvents) add(rec domain.RecordedEvent) {
	c := r.convs[rec.Stream]
	switch {
	case c == nil && rec.Revision != 0:
		return
	case c == nil:
		c = &recentConv{stream: rec.Stream}
		c.elem = r.age.PushBack(c)
		r.convs[rec.Stream] = c
	case rec.Revision != c.recs[len(c.recs)-1].Revision+1:
		r.drop(c) // never fold across a gap
		return
	}
	// The store may hand out slices of a larger read buffer: a copy keeps
	// the budget honest.
	rec.Data = bytes.Clone(rec.Data)
	n := recordOverhead + len(rec.Data)
	c.recs = append(c.recs, rec)
	c.size += n
	r.size += n
	for r.size > r.budget && r.age.Len() > 0 {
		r.drop(r.age.Front().Value.(*recentConv))
	}
}

// take returns the events kept of stream, from its first one, and forgets
// them; nil when they are not all there.
func (r *recentEvents) take(stream string) []domain.RecordedEvent {
	c := r.convs[stream]
	if c == nil {
		return nil
	}
	r.drop(c)
	return c.recs
}

func (r *recentEvents) drop(c *recentConv) {
	delete(r.convs, c.stream)
	r.age.Remove(c.elem)
	r.size -= c.size
}
