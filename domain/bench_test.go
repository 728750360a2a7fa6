package domain_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/benchdata"
)

// conversation1000 returns the stored events of an ended conversation with
// 1,000 chat messages (1,006 events), as ReadStream hands them back.
func conversation1000(b *testing.B) []domain.RecordedEvent {
	b.Helper()
	const id = "5b0f3c2e-6a1d-4f7e-9c3b-2d8e1a4f6b70"
	evs, err := benchdata.Conversation(benchdata.Spec{ID: id, Channel: "web", Messages: 1000, Ended: true,
		Start: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	return benchdata.Recorded(domain.StreamName(id), evs)
}

// BenchmarkFold1000 measures loading a conversation's state from its
// history, as the command service does on a cache miss: decoding every
// event and evolving the state.
func BenchmarkFold1000(b *testing.B) {
	recs := conversation1000(b)
	b.ReportAllocs()
	for b.Loop() {
		c, err := domain.Fold("c", recs)
		if err != nil || !c.Ended {
			b.Fatalf("fold: %v", err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "events/s")
}
