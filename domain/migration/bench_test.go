package migration_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/migration"
)

// benchHistory fills s with streams appended to concurrently, one event
// per append, so that their events interleave in the global order as
// conversations' do: the copy's worst case, one append per event.
func benchHistory(b *testing.B, s domain.EventStore, streams, perStream int) {
	b.Helper()
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			stream := fmt.Sprintf("conversation-bench-%d", i)
			for r, e := range newEvents(perStream, "ChatMessage") {
				exp := domain.NoStream()
				if r > 0 {
					exp = domain.Exact(domain.Revision(r - 1))
				}
				if _, err := s.Append(ctxFor(b), stream, exp, []domain.EventData{e}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkCopy copies 2,000 interleaved events from the embedded store
// into a fresh embedded store and into the in-process EventStoreDB test
// server, and reports events per second.
func BenchmarkCopy(b *testing.B) {
	const streams, perStream = 50, 40
	src := openDisk(b, b.TempDir())
	benchHistory(b, src, streams, perStream)
	targets := map[string]func() domain.EventStore{
		"embedded":     func() domain.EventStore { return openDisk(b, b.TempDir()) },
		"eventstoredb": func() domain.EventStore { return openServer(b) },
	}
	for name, open := range targets {
		b.Run(name, func(b *testing.B) {
			events := 0
			for b.Loop() {
				b.StopTimer()
				dst := open()
				b.StartTimer()
				rep, err := migration.New(src, dst, migration.Options{}).Run(ctxFor(b))
				if err != nil {
					b.Fatal(err)
				}
				events += rep.Events
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
