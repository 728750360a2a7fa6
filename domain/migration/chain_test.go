package migration_test

import (
	"testing"

	"github.com/parley-chat/parley/domain/chain"
)

// TestCopyKeepsTheChain: a history chained on the embedded store verifies
// on EventStoreDB after a copy, and on a fresh embedded store after the
// copy back: the hash covers nothing a store or the copy changes.
func TestCopyKeepsTheChain(t *testing.T) {
	src := openDisk(t, t.TempDir())
	fill(t, chain.New(src, chain.Options{}))
	mid, dst := openServer(t), openDisk(t, t.TempDir())
	run(t, src, mid, small)
	run(t, mid, dst, small)
	want, err := chain.VerifyAll(ctxFor(t), src, "", nil)
	if err != nil || len(want) != 5 {
		t.Fatalf("VerifyAll on the source = %+v, %v", want, err)
	}
	for name, got := range map[string]func() ([]chain.Result, error){
		"eventstoredb": func() ([]chain.Result, error) { return chain.VerifyAll(ctxFor(t), mid, "", nil) },
		"embedded":     func() ([]chain.Result, error) { return chain.VerifyAll(ctxFor(t), dst, "", nil) },
	} {
		rs, err := got()
		if err != nil || len(rs) != len(want) {
			t.Fatalf("%s: VerifyAll = %+v, %v", name, rs, err)
		}
		for i, r := range rs {
			if !r.Valid() || r.Unchained != 0 || r.Events != want[i].Events || r.Head != want[i].Head {
				t.Errorf("%s: %+v, want %+v", name, r, want[i])
			}
		}
	}
}
