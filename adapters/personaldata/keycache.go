package personaldata

import (
	"container/list"
	"context"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// DefaultKeyCacheSize is how many customers' keys are kept in memory: 10,000
// entries of about 1.2 KB each (the AES key schedule and GCM tables
// included), some 12 MB, enough for every customer of a busy day on one
// node (ADR 41).
const DefaultKeyCacheSize = 10000

// keyCache keeps the sealers of recently used keys, and which keys are
// erased, in a bounded LRU over the key store. It implements
// domain.PersonalDataKeys itself, so that an erasure through it forgets the
// key at once.
type keyCache struct {
	keys domain.PersonalDataKeys
	max  int

	mu   sync.Mutex
	byID map[string]*list.Element
	lru  list.List // front: most recently used *cachedKey
}

type cachedKey struct {
	id     string
	sealer sealer
	erased bool
}

var _ domain.PersonalDataKeys = (*keyCache)(nil)

func newKeyCache(keys domain.PersonalDataKeys, max int) *keyCache {
	if max <= 0 {
		max = DefaultKeyCacheSize
	}
	return &keyCache{keys: keys, max: max, byID: map[string]*list.Element{}}
}

// sealerFor returns the sealer of id, or erased true when the key was
// destroyed or never existed: a missing key is never an error to a reader.
func (c *keyCache) sealerFor(ctx context.Context, id string) (s sealer, erased bool, err error) {
	if k, ok := c.cached(id); ok {
		return k.sealer, k.erased, nil
	}
	key, erased, err := c.keys.Get(ctx, id)
	if domain.ErrorCode(err) == domain.CodeCustomerNotFound {
		return sealer{}, true, nil
	}
	if err != nil {
		return sealer{}, false, err
	}
	return c.put(id, key, erased)
}

// createSealer returns the sealer of id, creating its key when needed.
func (c *keyCache) createSealer(ctx context.Context, id string) (sealer, error) {
	if k, ok := c.cached(id); ok {
		if k.erased {
			return sealer{}, domain.ErrKeyErased(id)
		}
		return k.sealer, nil
	}
	key, err := c.keys.Create(ctx, id)
	if err != nil {
		return sealer{}, err
	}
	s, _, err := c.put(id, key, false)
	return s, err
}

func (c *keyCache) cached(id string) (*cachedKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cachedKey), true
}

func (c *keyCache) put(id string, key []byte, erased bool) (sealer, bool, error) {
	k := &cachedKey{id: id, erased: erased}
	if !erased {
		s, err := newSealer(key)
		if err != nil {
			return sealer{}, false, err
		}
		k.sealer = s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		el.Value = k
		c.lru.MoveToFront(el)
	} else {
		c.byID[id] = c.lru.PushFront(k)
	}
	for c.lru.Len() > c.max {
		oldest := c.lru.Back()
		delete(c.byID, oldest.Value.(*cachedKey).id)
		c.lru.Remove(oldest)
	}
	return k.sealer, k.erased, nil
}

// forget marks id erased: another node destroyed its key.
func (c *keyCache) forget(id string) { _, _, _ = c.put(id, nil, true) }

// Len returns how many keys are cached.
func (c *keyCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Create implements domain.PersonalDataKeys.
func (c *keyCache) Create(ctx context.Context, id string) ([]byte, error) {
	return c.keys.Create(ctx, id)
}

// Get implements domain.PersonalDataKeys.
func (c *keyCache) Get(ctx context.Context, id string) ([]byte, bool, error) {
	return c.keys.Get(ctx, id)
}

// Destroy implements domain.PersonalDataKeys: the key is destroyed in the
// store and forgotten here.
func (c *keyCache) Destroy(ctx context.Context, id string) error {
	if err := c.keys.Destroy(ctx, id); err != nil {
		return err
	}
	c.forget(id)
	return nil
}

// Close implements domain.PersonalDataKeys.
func (c *keyCache) Close() error { return c.keys.Close() }
