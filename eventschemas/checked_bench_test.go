package eventschemas_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas"
	"github.com/parley-chat/parley/test/benchdata"
)

// checkedStore returns an embedded store holding conversations of 100
// events each, raw and schema-checked (as parley serve reads it).
func checkedStore(b *testing.B, conversations int) (raw, checked domain.EventStore, ids []string) {
	b.Helper()
	s, err := diskstore.Open(b.TempDir(), diskstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for i := range conversations {
		id := fmt.Sprintf("00000000-0000-4000-9000-%012d", i)
		evs, err := benchdata.Conversation(benchdata.Spec{ID: id, Channel: "web", Messages: 94, Ended: true, Start: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Append(context.Background(), domain.StreamName(id), domain.NoStream(), evs); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	return s, eventschemas.Checked(s, reg), ids
}

// BenchmarkCheckedReadStream reads a whole 100-event conversation, as the
// command service and conversationInfo do on a cache miss, with and
// without the schema check every read pays.
func BenchmarkCheckedReadStream(b *testing.B) {
	raw, checked, ids := checkedStore(b, 100)
	for name, store := range map[string]domain.EventStore{"raw": raw, "checked": checked} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				evs, err := store.ReadStream(context.Background(), domain.StreamName(ids[rand.IntN(len(ids))]), 0, 1000)
				if err != nil || len(evs) != 100 {
					b.Fatalf("ReadStream: %d events, %v", len(evs), err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkCheckedReadAll reads 1,000 events from a random position of a
// 10,000-event history, as a projection catching up does.
func BenchmarkCheckedReadAll(b *testing.B) {
	raw, checked, _ := checkedStore(b, 100)
	for name, store := range map[string]domain.EventStore{"raw": raw, "checked": checked} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				evs, err := store.ReadAll(context.Background(), domain.After(rand.Uint64N(9_000)), 1000)
				if err != nil || len(evs) != 1000 {
					b.Fatalf("ReadAll: %d events, %v", len(evs), err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
