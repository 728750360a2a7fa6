package diskstore

import (
	"testing"

	"github.com/parley-chat/parley/domain"
)

func cached(pos domain.Position, dataLen int) domain.RecordedEvent {
	return domain.RecordedEvent{ID: "id", Stream: "s", Type: "t", Position: pos, Data: make([]byte, dataLen)}
}

func TestCacheKeepsARecentRunWithinItsBytes(t *testing.T) {
	per := entrySize(&domain.RecordedEvent{ID: "id", Stream: "s", Type: "t", Data: make([]byte, 100)})
	c := newCache(10 * per)
	for p := domain.Position(1); p <= 25; p++ {
		c.add([]domain.RecordedEvent{cached(p, 100)})
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

func TestCacheGetSharesData(t *testing.T) {
	c := newCache(1 << 20)
	c.add([]domain.RecordedEvent{cached(1, 8)})
	a, _ := c.get(1)
	b, _ := c.get(1)
	if &a.Data[0] != &b.Data[0] {
		t.Error("get copied the cached data; readers share it")
	}
}

func TestCacheRestartsOnAGapOrAHugeEvent(t *testing.T) {
	c := newCache(1 << 20)
	c.add([]domain.RecordedEvent{cached(1, 8), cached(2, 8), cached(5, 8)})
	if first, _ := c.start(); first != 5 {
		t.Errorf("after a gap, start = %d, want 5", first)
	}
	c.add([]domain.RecordedEvent{cached(6, 1<<19)})
	if _, ok := c.start(); ok {
		t.Error("an event over a quarter of the cache was cached")
	}
	c.add([]domain.RecordedEvent{cached(7, 8)})
	if e, ok := c.get(7); !ok || e.Position != 7 {
		t.Errorf("get(7) after a huge event = %v", ok)
	}
}
