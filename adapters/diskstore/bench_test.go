package diskstore_test

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// eventSize is the data size of one benchmark event, a chat message with
// its envelope.
const eventSize = 256

func benchEvents(n int) []domain.EventData {
	data := []byte(`{"text":"` + strings.Repeat("x", eventSize-11) + `"}`)
	evs := make([]domain.EventData, n)
	for i := range evs {
		evs[i] = domain.EventData{
			ID:       uuid(),
			Type:     "conversation.message_posted.v1",
			Data:     data,
			Metadata: domain.Metadata{SchemaVersion: 1, CorrelationID: "bench"},
		}
	}
	return evs
}

func uuid() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// BenchmarkAppend measures durable (fdatasync before the answer) one-event
// appends, each writer on its own conversation stream with an exact
// expected revision, as the command handlers append.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), diskstore.Options{})
			ctx := context.Background()
			var left atomic.Int64
			left.Store(int64(b.N))
			errs := make(chan error, writers)
			b.SetBytes(eventSize)
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					stream := fmt.Sprintf("conversation-bench-%d", w)
					expected := domain.NoStream()
					for left.Add(-1) >= 0 {
						res, err := s.Append(ctx, stream, expected, benchEvents(1))
						if err != nil {
							errs <- err
							return
						}
						expected = domain.Exact(res.NextRevision)
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}

// fill appends n events spread over streams, ten per append.
func fill(b *testing.B, s *diskstore.Store, streams, n int) {
	b.Helper()
	ctx := context.Background()
	revs := make([]int, streams)
	for i := 0; i < n; i += 10 {
		k := (i / 10) % streams
		expected := domain.NoStream()
		if revs[k] > 0 {
			expected = domain.Exact(domain.Revision(revs[k] - 1))
		}
		if _, err := s.Append(ctx, fmt.Sprintf("conversation-%d", k), expected, benchEvents(10)); err != nil {
			b.Fatal(err)
		}
		revs[k] += 10
	}
}

// cacheModes runs a read benchmark with the cache of recent events and
// without it, where every read is a pread of the log.
var cacheModes = []struct {
	name  string
	bytes int
}{{"cache=on", 0}, {"cache=off", 1}}

// BenchmarkReadStream reads 100 events of a 1,000-event conversation from a
// random revision.
func BenchmarkReadStream(b *testing.B) {
	for _, mode := range cacheModes {
		b.Run(mode.name, func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), diskstore.Options{CacheBytes: mode.bytes})
			fill(b, s, 10, 10_000)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				evs, err := s.ReadStream(ctx, "conversation-3", rand.Uint64N(900), 100)
				if err != nil || len(evs) != 100 {
					b.Fatalf("ReadStream: %d events, %v", len(evs), err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkReadAll reads 500 events from a random position of a
// 10,000-event log, as a projection catching up does.
func BenchmarkReadAll(b *testing.B) {
	for _, mode := range cacheModes {
		b.Run(mode.name, func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), diskstore.Options{CacheBytes: mode.bytes})
			fill(b, s, 100, 10_000)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				evs, err := s.ReadAll(ctx, domain.After(rand.Uint64N(9_500)), 500)
				if err != nil || len(evs) != 500 {
					b.Fatalf("ReadAll: %d events, %v", len(evs), err)
				}
			}
			b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
