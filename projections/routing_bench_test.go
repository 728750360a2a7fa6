//go:build unix

package projections_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/benchdata"
)

// routedEvents returns the routing events of conversation id, assigned to
// agent after waiting 2 s, and the agent's claim of it. Its queueing is the
// handOff on the conversation stream, its release the conversation's end
// (ADR 29).
func routedEvents(id, agent string, start time.Time) (ticket, claims []domain.EventData, err error) {
	enc := func(e routing.Event) domain.EventData {
		d, encErr := routing.Encode(domain.NameUUID(fmt.Sprint(id, e.EventType())), e, domain.Metadata{})
		if encErr != nil {
			err = encErr
		}
		return d
	}
	ticket = []domain.EventData{
		enc(routing.ConversationAssigned{ConversationID: id, AgentID: agent, Queue: "default", WaitedMs: 2000, Candidates: []string{agent}, Timestamp: start.Add(2 * time.Second)}),
	}
	claims = []domain.EventData{
		enc(routing.AgentClaimed{AgentID: agent, ConversationID: id, Timestamp: start.Add(2 * time.Second)}),
	}
	return ticket, claims, err
}

// fillRoutedStore appends n ended conversations of 10 events; with routed,
// each also has its routing stream and its agent's claim and release.
func fillRoutedStore(dir string, n int, routed bool) error {
	s, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
	if err != nil {
		return err
	}
	defer s.Close()
	const writers = 16
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			ctx := context.Background()
			for i := w; i < n; i += writers {
				id := domain.NameUUID(fmt.Sprint("routed-bench-", i))
				start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
				spec := benchdata.Spec{ID: id, Channel: "web", Messages: 4, Ended: true, Start: start}
				if routed {
					spec.Queue = "default"
				}
				evs, err := benchdata.Conversation(spec)
				if err == nil {
					_, err = s.Append(ctx, domain.StreamName(id), domain.NoStream(), evs)
				}
				if err == nil && routed {
					agent := fmt.Sprint("agent-", i%100)
					ticket, claims, rerr := routedEvents(id, agent, start)
					err = rerr
					if err == nil {
						_, err = s.Append(ctx, routing.TicketStream(id), domain.NoStream(), ticket)
					}
					if err == nil {
						_, err = s.Append(ctx, routing.AgentStream(agent), domain.Any(), claims)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// routingConversations makes BenchmarkRoutingStartup's history smaller, to
// profile quickly.
var routingConversations = flag.Int("routing-conversations", 100_000, "conversations in BenchmarkRoutingStartup's stores")

// BenchmarkRoutingStartup measures what 100,000 routed conversations add to
// the start of parley serve: the live feed over a history of 100,000 ended
// conversations without routing, then over one where each was also queued
// (Parley's handOff), claimed and assigned, and released by its end, with
// the routing read model folding (replay); and a start from the read
// models' snapshots, with the board folding the history before them
// (start-fold, as before the board had a snapshot) or restored from its
// own (start-snapshot).
func BenchmarkRoutingStartup(b *testing.B) {
	if testing.Short() {
		b.Skip("builds two stores of 100,000 conversations first")
	}
	n := *routingConversations
	for _, routed := range []bool{false, true} {
		name := map[bool]string{false: "unrouted", true: "routed"}[routed]
		dir := routingStore(b, n, routed)
		b.Run(name+"/replay", func(b *testing.B) {
			// The least of the replays is reported: on a shared machine
			// the others measure the neighbours too.
			best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
			for b.Loop() {
				store := openChecked(b, dir)
				board := projections.NewRouting()
				start, cpu := time.Now(), cpuTime()
				// parley serve always runs the routing read model: what
				// routing adds is its events and their folding.
				replayFeedWith(b, store, func(_ context.Context, e *projections.FeedEvent) error {
					return board.Consume(e)
				})
				best, bestCPU = min(best, time.Since(start)), min(bestCPU, cpuTime()-cpu)
				store.Close()
			}
			b.ReportMetric(best.Seconds(), "feed-s")
			b.ReportMetric(bestCPU.Seconds(), "feed-cpu-s")
		})
		// A start as parley serve makes it after a shutdown: from the
		// snapshots, with the board folding the history before the
		// connectors' one (before the board had a snapshot), or restored
		// from its own.
		connectors, board := startSnapshots(b, dir)
		for _, withBoard := range []bool{false, true} {
			mode := map[bool]string{false: "start-fold", true: "start-snapshot"}[withBoard]
			b.Run(name+"/"+mode, func(b *testing.B) {
				best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
				for b.Loop() {
					store := openChecked(b, dir)
					start, cpu := time.Now(), cpuTime()
					startFromSnapshots(b, store, connectors, board, withBoard)
					best, bestCPU = min(best, time.Since(start)), min(bestCPU, cpuTime()-cpu)
					store.Close()
				}
				b.ReportMetric(best.Seconds(), "start-s")
				b.ReportMetric(bestCPU.Seconds(), "start-cpu-s")
			})
		}
	}
}

// replayFeedWith is replayFeed with one more consumer.
func replayFeedWith(b *testing.B, store domain.EventStore, extra projections.FeedHandler) {
	infos := projections.NewConversationInfos(store, 1000)
	connectors := projections.NewConnectors()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := projections.RunFeed(ctx, store, 0, quiet, cancel,
		func(ctx context.Context, e *projections.FeedEvent) error {
			infos.Apply(e)
			if err := extra(ctx, e); err != nil {
				return err
			}
			return connectors.Apply(e)
		})
	if err != context.Canceled {
		b.Fatal(err)
	}
}

// BenchmarkRoutingQueued10k measures the memory the routing read model
// holds for 10,000 conversations waiting in queues.
func BenchmarkRoutingQueued10k(b *testing.B) {
	const n = 10_000
	var recs []domain.RecordedEvent
	for i := range n {
		id := domain.NameUUID(fmt.Sprint("queued-bench-", i))
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
		evs, err := benchdata.Conversation(benchdata.Spec{ID: id, Channel: "web", Start: start, Queue: "default"})
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, benchdata.Recorded(domain.StreamName(id), evs)...)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		board := projections.NewRouting()
		for _, rec := range recs {
			if err := board.Consume(projections.NewFeedEvent(rec)); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		figures := board.Queues([]string{"default"}, time.Now())
		if figures[0].Waiting != n {
			b.Fatalf("waiting = %d, want %d", figures[0].Waiting, n)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/conversation")
		runtime.KeepAlive(board)
	}
}
