package chain

import (
	"sync"

	"github.com/parley-chat/parley/domain"
)

// head is the last event of a stream as this node appended it.
type head struct {
	rev  domain.Revision
	hash string
}

// heads remembers the heads of the streams appended to lately, up to max.
// When full, it forgets an arbitrary stream (Go's map order): a forgotten
// head costs one read of the stream's last event at its next append, and
// a stale one (another node appended since) makes that append fail on its
// expected revision, never chain wrongly.
type heads struct {
	mu  sync.Mutex
	max int
	m   map[string]head
}

func newHeads(max int) *heads {
	return &heads{max: max, m: make(map[string]head, min(max, 1024))}
}

func (h *heads) get(stream string) (head, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hd, ok := h.m[stream]
	return hd, ok
}

func (h *heads) put(stream string, hd head) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.m[stream]
	if ok && old.rev > hd.rev {
		return // a later append on this node finished first
	}
	if !ok && len(h.m) >= h.max {
		for k := range h.m {
			delete(h.m, k)
			break
		}
	}
	h.m[stream] = hd
}

func (h *heads) forget(stream string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, stream)
}
