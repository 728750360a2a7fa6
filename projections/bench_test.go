package projections_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/benchdata"
)

// conversation1000 returns the stored events of an ended conversation with
// 1,000 chat messages (1,006 events), as ReadStream hands them back.
func conversation1000(b *testing.B) (string, []domain.RecordedEvent) {
	b.Helper()
	const id = "5b0f3c2e-6a1d-4f7e-9c3b-2d8e1a4f6b70"
	evs, err := benchdata.Conversation(benchdata.Spec{ID: id, Channel: "web", Messages: 1000, Ended: true,
		Start: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	return id, benchdata.Recorded(domain.StreamName(id), evs)
}

// BenchmarkFoldInfo1000 measures building the conversation read model's
// index of a 1,000-message conversation from its history, as a join or GET
// /api/conversations/{id} does when the index is not cached.
func BenchmarkFoldInfo1000(b *testing.B) {
	id, recs := conversation1000(b)
	b.ReportAllocs()
	for b.Loop() {
		x := projections.NewIndex(id)
		for _, rec := range recs {
			if err := x.Apply(rec); err != nil {
				b.Fatalf("fold: %v", err)
			}
		}
		if x.Messages() != len(recs)-1 {
			b.Fatalf("the index holds %d messages of %d events", x.Messages(), len(recs))
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkFoldTranscript1000 measures folding the transcript of a finished
// 1,000-message conversation (the model, before any rendering).
func BenchmarkFoldTranscript1000(b *testing.B) {
	id, recs := conversation1000(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := projections.FoldTranscript(id, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "events/s")
}
