package conversations

import (
	"container/list"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// stateCache keeps the most recently used conversation states, so a busy
// conversation is not refolded from the store for every message.
type stateCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recent; values are *domain.Conversation
	byID  map[string]*list.Element
}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, order: list.New(), byID: map[string]*list.Element{}}
}

func (c *stateCache) get(id string) *domain.Conversation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*domain.Conversation)
	}
	return nil
}

func (c *stateCache) put(conv *domain.Conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[conv.ID]; ok {
		el.Value = conv
		c.order.MoveToFront(el)
		return
	}
	c.byID[conv.ID] = c.order.PushFront(conv)
	if c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byID, last.Value.(*domain.Conversation).ID)
	}
}

func (c *stateCache) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.order.Remove(el)
		delete(c.byID, id)
	}
}
