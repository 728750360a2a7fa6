package projections

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// ConversationInfos is the live conversationInfo read model. The live feed
// keeps the views of recently used conversations current; a view that is
// missing or behind is caught up from the conversation's stream when asked
// for, so the model is correct after a restart and bounded in memory.
type ConversationInfos struct {
	store domain.EventStore
	max   int

	mu    sync.Mutex
	order *list.List // of *infoEntry, most recently used first
	byID  map[string]*list.Element
}

type infoEntry struct {
	id   string
	mu   sync.Mutex // guards info; held while catching up from the store
	info *Info
}

// NewConversationInfos returns a read model over store that keeps up to max
// conversations in memory.
func NewConversationInfos(store domain.EventStore, max int) *ConversationInfos {
	if max <= 0 {
		max = 1000
	}
	return &ConversationInfos{store: store, max: max, order: list.New(), byID: map[string]*list.Element{}}
}

// Get returns the view of conversation id including at least every event
// stored before the call. It returns a *domain.Error with CodeNotFound when
// the conversation does not exist. The result is the caller's to keep.
func (p *ConversationInfos) Get(ctx context.Context, id string) (*Info, error) {
	var out *Info
	err := p.With(ctx, id, func(in *Info) error { out = in.Copy(); return nil })
	return out, err
}

// With calls fn with the up-to-date view of conversation id while no event
// can be folded into it, so fn can read the view and register for the events
// after it without a gap. fn must not keep in.
func (p *ConversationInfos) With(ctx context.Context, id string, fn func(in *Info) error) error {
	e := p.entry(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := p.catchUp(ctx, e); err != nil {
		return err
	}
	if e.info.Version < 0 {
		p.forget(id)
		return domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", id)
	}
	return fn(e.info)
}

// Apply folds an event from the live feed into the cached view of its
// conversation, if that view is cached and has no gap before the event. It
// decodes the event only then.
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
	e.mu.Lock()
	defer e.mu.Unlock()
	rev := int64(fe.Revision)
	switch {
	case e.info == nil || rev <= e.info.Version:
	case rev == e.info.Version+1:
		ev, err := fe.Event()
		if err != nil {
			e.info = nil // refold from the store next time
			return
		}
		e.info.fold(rev, ev)
	default:
		e.info = nil // a gap: the next Get catches up from the store
	}
}

func (p *ConversationInfos) catchUp(ctx context.Context, e *infoEntry) error {
	if e.info == nil {
		e.info = NewInfo(e.id)
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
	if p.order.Len() > p.max {
		last := p.order.Back()
		p.order.Remove(last)
		delete(p.byID, last.Value.(*infoEntry).id)
	}
	return e
}

func (p *ConversationInfos) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.byID[id]; ok {
		p.order.Remove(el)
		delete(p.byID, id)
	}
}
