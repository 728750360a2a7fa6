package chain_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
)

// bothStores opens each store the chain is tested on.
var bothStores = []struct {
	name string
	open func(t *testing.T) domain.EventStore
}{
	{"embedded", func(t *testing.T) domain.EventStore { return openDisk(t) }},
	{"eventstoredb", func(t *testing.T) domain.EventStore { return openESDB(t, startServer(t)) }},
}

// TestAppendsChain appends in every way the port allows and verifies the
// stream, on both stores.
func TestAppendsChain(t *testing.T) {
	type step struct {
		expected func(last domain.Revision) domain.ExpectedRevision
		n        int
	}
	exact := func(last domain.Revision) domain.ExpectedRevision { return domain.Exact(last) }
	anyRev := func(domain.Revision) domain.ExpectedRevision { return domain.Any() }
	exists := func(domain.Revision) domain.ExpectedRevision { return domain.StreamExists() }
	tests := map[string]struct {
		given     []step // appended through the chain, each with a cold or warm head cache
		coldCache bool
	}{
		"no_stream then exact":      {given: []step{{nil, 2}, {exact, 1}, {exact, 3}}},
		"any from the start":        {given: []step{{anyRev, 1}, {anyRev, 2}, {anyRev, 1}}},
		"stream_exists and mixed":   {given: []step{{nil, 1}, {exists, 2}, {anyRev, 1}, {exact, 1}}},
		"every append a cold cache": {given: []step{{anyRev, 1}, {exact, 2}, {exists, 1}, {anyRev, 3}}, coldCache: true},
	}
	for _, st := range bothStores {
		t.Run(st.name, func(t *testing.T) {
			inner := st.open(t)
			for name, tc := range tests {
				t.Run(name, func(t *testing.T) {
					// given
					stream := "conversation-" + name
					c, total := chain.New(inner, chain.Options{}), 0
					for _, s := range tc.given {
						if tc.coldCache {
							c = chain.New(inner, chain.Options{})
						}
						exp := domain.NoStream()
						if s.expected != nil {
							exp = s.expected(domain.Revision(total - 1))
						}
						// when
						res := mustAppend(t, c, stream, exp, newEvents(s.n))
						total += s.n
						if res.NextRevision != domain.Revision(total-1) {
							t.Fatalf("append %s: next revision %d, want %d", exp, res.NextRevision, total-1)
						}
					}
					// then
					res, err := chain.Verify(ctxFor(t), inner, stream)
					recs := readStream(t, inner, stream)
					if err != nil || !res.Valid() || res.Events != uint64(total) || res.Unchained != 0 || res.Head != recs[len(recs)-1].Metadata.Hash {
						t.Fatalf("Verify = %+v, %v; want %d valid events headed by the last hash", res, err, total)
					}
				})
			}
		})
	}
}

// TestChainStartsMidway: a stream written before the chain keeps its
// events unhashed and is checked from the first hashed one.
func TestChainStartsMidway(t *testing.T) {
	// given three events stored before the chain
	inner := openDisk(t)
	old := newEvents(3)
	for i := range old {
		old[i].Metadata.Actor = domain.Actor{}
	}
	mustAppend(t, inner, "conversation-old", domain.NoStream(), old)
	// when two more are appended through it
	c := chain.New(inner, chain.Options{})
	mustAppend(t, c, "conversation-old", domain.Exact(2), newEvents(1))
	mustAppend(t, c, "conversation-old", domain.Any(), newEvents(1))
	// then
	res, err := chain.Verify(ctxFor(t), inner, "conversation-old")
	if err != nil || !res.Valid() || res.Events != 5 || res.Unchained != 3 {
		t.Fatalf("Verify = %+v, %v; want 5 events, 3 unchained, valid", res, err)
	}
	// and an unchained stream is reported as such, not as broken
	mustAppend(t, inner, "conversation-older", domain.NoStream(), old[:1])
	if res, err := chain.Verify(ctxFor(t), inner, "conversation-older"); err != nil || !res.Valid() || res.Unchained != 1 || res.Head != "" {
		t.Fatalf("Verify of an unchained stream = %+v, %v", res, err)
	}
}

// TestConcurrentAppendsToOneStream: appends with Any race on one stream,
// from two decorators (two nodes) over one store; every event is stored
// once and the chain holds.
func TestConcurrentAppendsToOneStream(t *testing.T) {
	for _, st := range bothStores {
		t.Run(st.name, func(t *testing.T) {
			inner := st.open(t)
			nodes := []*chain.Store{chain.New(inner, chain.Options{}), chain.New(inner, chain.Options{})}
			const writers, each = 8, 15
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						if _, err := nodes[w%2].Append(ctxFor(t), "connectors", domain.Any(), newEvents(1+w%2)); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("append: %v", err)
			}
			want := uint64(each * (writers/2*1 + writers/2*2))
			res, err := chain.Verify(ctxFor(t), inner, "connectors")
			if err != nil || !res.Valid() || res.Events != want {
				t.Fatalf("Verify = %+v, %v; want %d valid events", res, err, want)
			}
		})
	}
}

// TestAnyRetryStoresNothing: an Any append retried after it was stored
// (its answer lost) stores nothing, as the port promises, even from a node
// that has not seen the stream.
func TestAnyRetryStoresNothing(t *testing.T) {
	inner := openDisk(t)
	first := chain.New(inner, chain.Options{})
	mustAppend(t, first, "delivery-1", domain.Any(), newEvents(2))
	evs := newEvents(2)
	want := mustAppend(t, first, "delivery-1", domain.Any(), evs)
	got := mustAppend(t, chain.New(inner, chain.Options{}), "delivery-1", domain.Any(), evs)
	if got != want || len(readStream(t, inner, "delivery-1")) != 4 {
		t.Fatalf("retry = %+v, want %+v and 4 events", got, want)
	}
}

// TestFewHeads: with room for two heads, appends to many streams in turn
// still chain (each miss reads the stream's last event).
func TestFewHeads(t *testing.T) {
	inner := openDisk(t)
	c := chain.New(inner, chain.Options{Heads: 2})
	for round := range 4 {
		for s := range 5 {
			exp := domain.NoStream()
			if round > 0 {
				exp = domain.Exact(domain.Revision(round - 1))
			}
			mustAppend(t, c, fmt.Sprintf("conversation-%d", s), exp, newEvents(1))
		}
	}
	rs, err := chain.VerifyAll(ctxFor(t), inner, "conversation-", nil)
	if err != nil || len(rs) != 5 {
		t.Fatalf("VerifyAll = %+v, %v", rs, err)
	}
	for _, r := range rs {
		if !r.Valid() || r.Events != 4 {
			t.Errorf("%s: %+v", r.Stream, r)
		}
	}
}
