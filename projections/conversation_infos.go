package projections

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// DefaultCacheBytes is the memory the conversation read model keeps when not
// configured otherwise (--read-model-cache-bytes): the indexes of about
// 200,000 messages. It is the budget that grows last under a steady load,
// and the collector's headroom doubles it, so it is kept well under the
// server's whole (ADR 43).
const DefaultCacheBytes = 32 << 20

// ConversationInfos is the live conversation read model. The live feed
// keeps the indexes of recently used conversations current; an index that
// is missing or behind is caught up from the conversation's stream when
// asked for, so the model is correct after a restart. It keeps indexes, not
// messages (see Index), and evicts the least recently used ones when they
// hold more than its byte budget.
type ConversationInfos struct {
	store    domain.EventStore
	maxBytes int64

	mu    sync.Mutex
	order *list.List // of *infoEntry, most recently used first
	byID  map[string]*list.Element
	bytes int64 // the sum of the entries' sizes
}

type infoEntry struct {
	id   string
	mu   sync.Mutex // guards index; held while catching up from the store
	info *Index
	// size is what the entry counts towards the budget; guarded by
	// ConversationInfos.mu.
	size int64
}

// NewConversationInfos returns a read model over store that keeps indexes
// of up to maxBytes in memory (DefaultCacheBytes when 0 or less). An index
// larger than the whole budget is still built to answer, and evicted after.
func NewConversationInfos(store domain.EventStore, maxBytes int64) *ConversationInfos {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &ConversationInfos{store: store, maxBytes: maxBytes, order: list.New(), byID: map[string]*list.Element{}}
}

// Page returns the page q selects of conversation id, including at least
// every event stored before the call, with its messages read from the store.
// It returns a *domain.Error with CodeNotFound when the conversation does
// not exist.
func (p *ConversationInfos) Page(ctx context.Context, id string, q Query) (*Info, error) {
	pg, err := p.Select(ctx, id, q)
	if err != nil {
		return nil, err
	}
	err = EachMessage(ctx, p.store, id, pg.seqs, func(m domain.Message) error {
		pg.Messages = append(pg.Messages, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &pg.Info, nil
}

// Select is Page without reading the messages: the caller reads them, with
// EachMessage, as it sends them.
func (p *ConversationInfos) Select(ctx context.Context, id string, q Query) (*Page, error) {
	var pg *Page
	err := p.With(ctx, id, func(x *Index) error { pg = x.Select(q); return nil })
	return pg, err
}

// Message returns the view of conversation id without messages, and its
// message with the given id. It returns a *domain.Error with CodeNotFound or
// CodeMessageNotFound when either does not exist.
func (p *ConversationInfos) Message(ctx context.Context, id, messageID string) (*Info, domain.Message, error) {
	var (
		view  *Info
		seq   int64
		found bool
	)
	err := p.With(ctx, id, func(x *Index) error {
		view = x.view()
		seq, found = x.find(messageID)
		return nil
	})
	if err != nil {
		return nil, domain.Message{}, err
	}
	if !found {
		return nil, domain.Message{}, domain.Errorf(domain.CodeMessageNotFound, "conversation %s has no message %s", id, messageID)
	}
	var msg domain.Message
	err = EachMessage(ctx, p.store, id, []int64{seq}, func(m domain.Message) error { msg = m; return nil })
	return view, msg, err
}

// With calls fn with the up-to-date index of conversation id while no event
// can be folded into it, so fn can read the index and register for the
// events after it without a gap. fn may fold later events into it (Apply),
// and must not keep it.
func (p *ConversationInfos) With(ctx context.Context, id string, fn func(x *Index) error) error {
	e := p.entry(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	err := p.catchUp(ctx, e)
	if err == nil && e.info.Version < 0 {
		p.forget(id)
		return domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", id)
	}
	if err == nil {
		err = fn(e.info)
	}
	p.resize(e)
	return err
}

// Apply folds an event from the live feed into the cached index of its
// conversation, if that index is cached, not in use, and has no gap before
// the event. It decodes the event only then. It never waits: an index in use
// (a join reading its page, a first fold of a long conversation) is left
// behind, and caught up from the store when it is next read, so that one
// conversation's reader never holds up the feed of every other.
func (p *ConversationInfos) Apply(fe *FeedEvent) {
	id, ok := domain.ConversationIDOf(fe.Stream)
	if !ok {
		return
	}
	p.mu.Lock()
	el, ok := p.byID[id]
	p.mu.Unlock()
	if !ok {
		return
	}
	e := el.Value.(*infoEntry)
	if !e.mu.TryLock() {
		return
	}
	defer e.mu.Unlock()
	rev := int64(fe.Revision)
	if e.info == nil || rev != e.info.Version+1 {
		return // seen already, or after a gap that the next read fills
	}
	ev, err := fe.Event()
	if err != nil {
		e.info = nil // refold from the store next time
	} else {
		e.info.fold(rev, ev)
	}
	p.resize(e)
}

func (p *ConversationInfos) catchUp(ctx context.Context, e *infoEntry) error {
	if e.info == nil {
		e.info = NewIndex(e.id)
	}
	const page = 1000
	for {
		recs, err := p.store.ReadStream(ctx, domain.StreamName(e.id), domain.Revision(e.info.Version+1), page)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read conversation %s: %w", e.id, err)
		}
		for _, rec := range recs {
			if err := e.info.Apply(rec); err != nil {
				e.info = nil
				return err
			}
		}
		if len(recs) < page {
			return nil
		}
	}
}

func (p *ConversationInfos) entry(id string) *infoEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.byID[id]; ok {
		p.order.MoveToFront(el)
		return el.Value.(*infoEntry)
	}
	e := &infoEntry{id: id}
	p.byID[id] = p.order.PushFront(e)
	return e
}

// resize records the size of e, which the caller holds locked, and evicts
// the least recently used entries while the budget is exceeded. The entry
// most recently used stays, however large: it is being used.
func (p *ConversationInfos) resize(e *infoEntry) {
	size := int64(0)
	if e.info != nil {
		size = e.info.bytes
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.byID[e.id]; ok && el.Value == e {
		p.bytes += size - e.size
		e.size = size
	}
	for p.bytes > p.maxBytes && p.order.Len() > 1 {
		p.remove(p.order.Back())
	}
}

func (p *ConversationInfos) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.byID[id]; ok {
		p.remove(el)
	}
}

// remove drops an entry from the cache; p.mu is held.
func (p *ConversationInfos) remove(el *list.Element) {
	e := el.Value.(*infoEntry)
	p.order.Remove(el)
	delete(p.byID, e.id)
	p.bytes -= e.size
	e.size = 0
}

// CachedBytes returns the memory the cached indexes are estimated to hold.
func (p *ConversationInfos) CachedBytes() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}
