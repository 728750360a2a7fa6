package diskstore

import (
	"testing"

	"github.com/parley-chat/parley/domain"
)

func cached(pos domain.Position, dataLen int) domain.RecordedEvent {
	return domain.RecordedEvent{ID: "id", Stream: "s", Type: "t", Position: pos, Data: make([]byte, dataLen)}
}

func TestCacheKeepsARecentRunWithinItsBytes(t *testing.T) {
	per := entrySize(&domain.RecordedEvent{ID: "id", Stream: "s", Type: "t", Data: make([]byte, 100)}, 0)
	c := newCache(10 * per)
	for p := domain.Position(1); p <= 25; p++ {
		c.add([]domain.RecordedEvent{cached(p, 100)}, nil)
	}
	first, ok := c.start()
	if !ok || first != 16 {
		t.Fatalf("start = %d, %v; want 16: the last 10 of 25 events", first, ok)
	}
	if c.bytes > c.maxBytes {
		t.Errorf("cache holds %d bytes, bound %d", c.bytes, c.maxBytes)
	}
	for p := domain.Position(16); p <= 25; p++ {
		if e, ok := c.get(p); !ok || e.Position != p {
			t.Errorf("get(%d) = %d, %v", p, e.Position, ok)
		}
	}
	if _, ok := c.get(15); ok {
		t.Error("get(15) found an evicted event")
	}
	if _, ok := c.get(26); ok {
		t.Error("get(26) found an event never added")
	}
}

func TestCacheCountsWhatTheDataKeepsAlive(t *testing.T) {
	// given events of 100 bytes of data, each keeping 1,000 bytes of its
	// append's buffer alive, and a bound of 10 such events
	per := entrySize(&domain.RecordedEvent{ID: "id", Stream: "s", Type: "t", Data: make([]byte, 100)}, 1000)
	c := newCache(10 * per)
	// when 25 are added
	for p := domain.Position(1); p <= 25; p++ {
		c.add([]domain.RecordedEvent{cached(p, 100)}, []int{1000})
	}
	// then the last 10 are kept, not as many as their data alone would fit
	if first, ok := c.start(); !ok || first != 16 {
		t.Fatalf("start = %d, %v; want 16", first, ok)
	}
	if c.bytes > c.maxBytes {
		t.Errorf("cache holds %d bytes, bound %d", c.bytes, c.maxBytes)
	}
}

func TestCacheGetSharesData(t *testing.T) {
	c := newCache(1 << 20)
	c.add([]domain.RecordedEvent{cached(1, 8)}, nil)
	a, _ := c.get(1)
	b, _ := c.get(1)
	if &a.Data[0] != &b.Data[0] {
		t.Error("get copied the cached data; readers share it")
	}
}

func TestCacheRestartsOnAGapOrAHugeEvent(t *testing.T) {
	c := newCache(1 << 20)
	c.add([]domain.RecordedEvent{cached(1, 8), cached(2, 8), cached(5, 8)}, nil)
	if first, _ := c.start(); first != 5 {
		t.Errorf("after a gap, start = %d, want 5", first)
	}
	c.add([]domain.RecordedEvent{cached(6, 1<<19)}, nil)
	if _, ok := c.start(); ok {
		t.Error("an event over a quarter of the cache was cached")
	}
	c.add([]domain.RecordedEvent{cached(7, 8)}, nil)
	if e, ok := c.get(7); !ok || e.Position != 7 {
		t.Errorf("get(7) after a huge event = %v", ok)
	}
}
