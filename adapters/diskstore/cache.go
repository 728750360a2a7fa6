package diskstore

import (
	"sync"

	"github.com/parley-chat/parley/domain"
)

// cacheEntryOverhead approximates what one cached event costs beyond its
// strings and data, so that a flood of tiny events still respects the bound.
const cacheEntryOverhead = 256

// cache holds the most recently committed events, a contiguous run of
// positions ending at the last committed one, so that live subscribers and
// the writer's idempotency checks rarely touch the disk. Its size is bounded
// by bytes: a slow reader falls off its start and reads from disk instead of
// pinning memory.
type cache struct {
	mu       sync.RWMutex
	ring     []cachedEvent // a power-of-two ring; n live from head
	head, n  int
	first    domain.Position // position of ring[head]
	bytes    int
	maxBytes int
}

// cachedEvent is an event with what it counts towards the cache's bound.
type cachedEvent struct {
	domain.RecordedEvent
	size int
}

func newCache(maxBytes int) *cache { return &cache{maxBytes: maxBytes} }

// entrySize is what e counts towards the bound when its data keeps kept
// bytes alive: an event's data is a slice of its append's buffer, which
// holds its frame and metadata too, so the data's length alone would let
// the cache hold half as much again as its bound.
func entrySize(e *domain.RecordedEvent, kept int) int {
	return cacheEntryOverhead + max(kept, len(e.Data)) + len(e.Stream) + len(e.Type) + len(e.ID)
}

// add appends committed events in position order; kept[i], when kept is
// not nil, is how many bytes events[i]'s data keeps alive. Events must
// follow the cached run; the cache restarts if they do not.
func (c *cache) add(events []domain.RecordedEvent, kept []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range events {
		e := &events[i]
		size := entrySize(e, 0)
		if kept != nil {
			size = entrySize(e, kept[i])
		}
		if size > c.maxBytes/4 {
			// One huge event would evict everything else; let it go to disk.
			c.reset(e.Position + 1)
			continue
		}
		if c.n == 0 || e.Position != c.first+domain.Position(c.n) {
			c.reset(e.Position)
		}
		for c.n > 0 && c.bytes+size > c.maxBytes {
			c.bytes -= c.ring[c.head].size
			c.ring[c.head] = cachedEvent{}
			c.head = (c.head + 1) & (len(c.ring) - 1)
			c.n--
			c.first++
		}
		if c.n == len(c.ring) {
			c.grow()
		}
		c.ring[(c.head+c.n)&(len(c.ring)-1)] = cachedEvent{RecordedEvent: *e, size: size}
		c.n++
		c.bytes += size
	}
}

// grow doubles the ring. The byte bound caps how far it grows.
func (c *cache) grow() {
	ring := make([]cachedEvent, max(64, 2*len(c.ring)))
	for i := range c.n {
		ring[i] = c.ring[(c.head+i)&(len(c.ring)-1)]
	}
	c.ring, c.head = ring, 0
}

func (c *cache) reset(first domain.Position) {
	clear(c.ring)
	c.head, c.n, c.bytes, c.first = 0, 0, 0, first
}

// at returns the cached event at position p; the caller holds mu.
func (c *cache) at(p domain.Position) (*domain.RecordedEvent, bool) {
	if p < c.first || p >= c.first+domain.Position(c.n) {
		return nil, false
	}
	return &c.ring[(c.head+int(p-c.first))&(len(c.ring)-1)].RecordedEvent, true
}

// get returns the event at position p when cached. Its Data is the cached
// bytes, shared with every reader rather than copied for each: readers
// never write into Data (domain.RecordedEvent), and its capacity ends where
// it does, so an append to it copies instead of reaching the next event.
func (c *cache) get(p domain.Position) (domain.RecordedEvent, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.at(p)
	if !ok {
		return domain.RecordedEvent{}, false
	}
	return *e, true
}

// id returns the id of the event at position p when cached, without copying.
func (c *cache) id(p domain.Position) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.at(p)
	if !ok {
		return "", false
	}
	return e.ID, true
}

// start returns the first cached position and whether anything is cached;
// positions below it come from disk.
func (c *cache) start() (domain.Position, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.first, c.n > 0
}
