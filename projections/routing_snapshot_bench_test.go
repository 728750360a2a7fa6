//go:build unix

package projections_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// BenchmarkRoutingSnapshot measures the routing board's snapshot of
// 100,000 routed, ended conversations, 1,000 open ones and 100 agents:
// taking it on the feed's goroutine (State, under the board's lock), saving
// it, and loading it at start, the part of start-up routing adds: Load and
// the restore of the agents and open conversations, before the node serves
// (serve-cpu-ms), and the ended conversations added after (ended-cpu-ms).
// The times are the process's CPU time (the collector's included), which a
// shared machine's load does not stretch as it does the wall clock.
func BenchmarkRoutingSnapshot(b *testing.B) {
	const n, open = 101_000, 1_000
	board := routing.NewBoard()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		a := board.Agent(fmt.Sprint("agent-", i))
		a.Version, a.State, a.Capacity, a.LeaseUntil, a.IdleSince = 40, routing.StateReady, 3, t0.Add(time.Hour), t0
	}
	for i := range n {
		id := fmt.Sprintf("%08d-0000-5000-8000-000000000000", i)
		c := board.Conv(id)
		at := t0.Add(time.Duration(i) * time.Second)
		c.Ticket.Version, c.Ticket.Status, c.Ticket.Queue, c.Ticket.Agent = 0, routing.StatusAssigned, "default", fmt.Sprint("agent-", i%100)
		c.Ticket.Subject, c.Ticket.Channel, c.Ticket.QueuedAt = fmt.Sprint("Order ", i), "web", at
		c.Started, c.Ended, c.CustomerWrote, c.StartedAt, c.EndedAt = true, true, true, at, at.Add(10*time.Second)
		c.CustomerName, c.LastChatAt, c.LastActivityAt, c.ConvVersion = fmt.Sprint("Ada Lovelace ", i), at, at, 9
		if i >= n-open {
			c.Ended, c.EndedAt = false, time.Time{}
			board.Open[id] = c
		}
	}
	r := projections.RoutingOf(board)
	file := projections.SnapshotFile{Path: filepath.Join(b.TempDir(), "routing.snapshot")}
	cp := projections.Checkpoint{After: 1}
	var state, save, serve, ended time.Duration
	var size int
	var heap uint64
	for b.Loop() {
		start := cpuTime()
		st := r.State()
		state += cpuTime() - start
		data, _ := st.MarshalBinary()
		size = len(data)
		start = cpuTime()
		if err := file.Save(cp, st); err != nil {
			b.Fatal(err)
		}
		save += cpuTime() - start
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start = cpuTime()
		var loaded projections.RoutingState
		if _, ok, err := file.Load(&loaded); err != nil || !ok {
			b.Fatal(ok, err)
		}
		restored := projections.NewRouting()
		addEnded := projections.RestoreInSteps(restored, &loaded, nil)
		serve += cpuTime() - start
		start = cpuTime()
		addEnded()
		ended += cpuTime() - start
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		if loaded.Conversations() != n {
			b.Fatalf("restored %d conversations", loaded.Conversations())
		}
		if rows, _, err := restored.Conversations(b.Context(), projections.ConversationFilter{Limit: 1}); err != nil || len(rows) != 1 {
			b.Fatalf("the restored board lists %v, %v", rows, err)
		}
		runtime.KeepAlive(restored)
	}
	runs := float64(b.N)
	b.ReportMetric(state.Seconds()*1000/runs, "state-cpu-ms")
	b.ReportMetric(save.Seconds()*1000/runs, "save-cpu-ms")
	b.ReportMetric(serve.Seconds()*1000/runs, "serve-cpu-ms")
	b.ReportMetric(ended.Seconds()*1000/runs, "ended-cpu-ms")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
	b.ReportMetric(float64(heap)/(1<<20), "board-MB")
}
