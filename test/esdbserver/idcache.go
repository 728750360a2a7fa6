package esdbserver

// DefaultIDCacheBytes is the real node's budget for the cache of recently
// committed event ids (ESConsts.CommitedEventsMemCacheLimit, 8 MiB), which
// alone makes retries with "any" or "stream_exists" idempotent.
const DefaultIDCacheBytes = 8 << 20

// WithIDCacheBytes changes DefaultIDCacheBytes, so that a test can push
// event ids out of the cache with a few appends.
func WithIDCacheBytes(n int) Option { return func(c *config) { c.idCacheBytes = n } }

// idCost is what one cached id costs against the budget, as the node
// counts it: the 16-byte id, the event number and a reference, and the
// stream name in UTF-16. For a stream named conversation-<uuid> that is
// 126 bytes, so the default budget holds the last 66,000 or so event ids.
func idCost(stream string) int { return 16 + 8 + 8 + 2*len(stream) }

// idCache is a bounded map from event id to where it was last written,
// dropping the oldest ids first when over budget.
type idCache struct {
	budget int
	used   int
	seq    uint64
	m      map[eventID]idEntry
	order  []cachedID // in insertion order; entries superseded in m are skipped
}

type cachedID struct {
	id   eventID
	seq  uint64
	cost int
}

func newIDCache(budget int) *idCache {
	return &idCache{budget: budget, m: make(map[eventID]idEntry)}
}

func (c *idCache) get(id eventID) (idEntry, bool) {
	e, ok := c.m[id]
	return e, ok
}

func (c *idCache) put(id eventID, e idEntry) {
	c.seq++
	e.seq = c.seq
	cost := idCost(e.stream)
	c.m[id] = e
	c.order = append(c.order, cachedID{id: id, seq: e.seq, cost: cost})
	c.used += cost
	for c.used > c.budget && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.used -= old.cost
		if cur, ok := c.m[old.id]; ok && cur.seq == old.seq {
			delete(c.m, old.id)
		}
	}
	if len(c.order) == 0 {
		c.order = nil // let the backing array go
	}
}
