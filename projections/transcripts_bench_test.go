//go:build unix

package projections_test

import (
	"testing"
	"time"
)

// BenchmarkTranscriptsRebuild measures parley transcripts rebuild on
// BenchmarkRebuild's history: one read of the whole history, folding and
// writing each finished conversation's transcript as its end is read,
// several at once, with a barrier every batch. Like BenchmarkRebuild it
// writes into an empty directory kept until the binary ends.
func BenchmarkTranscriptsRebuild(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a store of 1,000,000 events first; run without -short")
	}
	dir := rebuildStore(b)
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		store := openChecked(b, dir)
		p := openTranscriptsIn(b, scratchDir(b), store, quiet)
		before := cpuTime()
		b.StartTimer()
		n, err := p.Rebuild(b.Context(), nil)
		b.StopTimer()
		cpu += cpuTime() - before
		if err != nil || n != *rebuildConversations*9/10 {
			b.Fatalf("Rebuild = %d, %v", n, err)
		}
		store.Close()
	}
	b.ReportMetric(float64(b.N*rebuildEvents())/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
