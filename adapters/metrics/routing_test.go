package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// assignedAt is a ConversationAssigned to queue, recorded at when.
func assignedAt(tb testing.TB, queue string, waitedMs int64, when time.Time) domain.RecordedEvent {
	tb.Helper()
	d, err := routing.Encode("e1", routing.ConversationAssigned{ConversationID: "c1", AgentID: "ann", Queue: queue, WaitedMs: waitedMs,
		Candidates: []string{"ann"}, Timestamp: when}, domain.Metadata{})
	if err != nil {
		tb.Fatal(err)
	}
	return domain.RecordedEvent{ID: d.ID, Stream: routing.TicketStream("c1"), Type: d.Type, Data: d.Data, Metadata: d.Metadata, Recorded: when}
}

// TestRoutingMetrics: given the configured queues, when the feed hands
// over assignments, then those recorded since start are counted by queue
// (an unconfigured queue as other) and their waits observed; the queue
// figures are read at scrape time.
func TestRoutingMetrics(t *testing.T) {
	m := New()
	m.Queues([]string{"billing", "default"}, func(names []string, _ time.Time) []projections.QueueView {
		return []projections.QueueView{{Name: names[0], Waiting: 2, OldestWaitMs: 1500, AgentsReady: 1, AgentsBusy: 3}, {Name: names[1]}}
	})
	now := time.Now()
	steps := []struct {
		name  string
		when  domain.RecordedEvent
		queue string
		count float64
	}{
		{"an assignment counts", assignedAt(t, "billing", 2500, now), "billing", 1},
		{"a second one adds", assignedAt(t, "billing", 100, now), "billing", 2},
		{"history replayed at start is skipped", assignedAt(t, "billing", 100, m.started.Add(-time.Second)), "billing", 2},
		{"an unconfigured queue is other", assignedAt(t, "gone", 100, now), otherQueue, 1},
	}
	for _, s := range steps {
		m.FeedEvent(s.when, now)
		if got := testutil.ToFloat64(m.assignments.WithLabelValues(s.queue)); got != s.count {
			t.Errorf("%s: assignments{queue=%q} = %v, want %v", s.name, s.queue, got, s.count)
		}
	}
	if n := testutil.CollectAndCount(m.queueWaitSecs); n != 2 {
		t.Errorf("wait histograms: %d series, want billing and other", n)
	}
	if count, sum := waits(t, m, "billing"); count != 2 || sum != 2.6 {
		t.Errorf("billing waits: %d observed, %v s in all; want 2, 2.6", count, sum)
	}
	want := `
# HELP parley_queue_waiting_conversations Conversations waiting in a queue for an agent.
# TYPE parley_queue_waiting_conversations gauge
parley_queue_waiting_conversations{queue="billing"} 2
parley_queue_waiting_conversations{queue="default"} 0
# HELP parley_queue_oldest_wait_seconds How long the longest-waiting conversation of a queue has waited; 0 when none waits.
# TYPE parley_queue_oldest_wait_seconds gauge
parley_queue_oldest_wait_seconds{queue="billing"} 1.5
parley_queue_oldest_wait_seconds{queue="default"} 0
# HELP parley_queue_ready_agents Ready agents serving a queue that can take another conversation.
# TYPE parley_queue_ready_agents gauge
parley_queue_ready_agents{queue="billing"} 1
parley_queue_ready_agents{queue="default"} 0
# HELP parley_queue_busy_agents Ready agents serving a queue at full capacity.
# TYPE parley_queue_busy_agents gauge
parley_queue_busy_agents{queue="billing"} 3
parley_queue_busy_agents{queue="default"} 0
`
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), "parley_queue_waiting_conversations",
		"parley_queue_oldest_wait_seconds", "parley_queue_ready_agents", "parley_queue_busy_agents"); err != nil {
		t.Error(err)
	}
}

// waits returns the count and sum of the wait histogram of queue.
func waits(t *testing.T, m *Metrics, queue string) (uint64, float64) {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "parley_queue_wait_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			if s.GetLabel()[0].GetValue() == queue {
				return s.GetHistogram().GetSampleCount(), s.GetHistogram().GetSampleSum()
			}
		}
	}
	return 0, 0
}

// BenchmarkFeedEventAssigned is what counting one assignment the feed
// hands over costs: decoding it, a counter and a histogram.
func BenchmarkFeedEventAssigned(b *testing.B) {
	m := New()
	m.Queues([]string{"billing"}, func([]string, time.Time) []projections.QueueView { return nil })
	rec := assignedAt(b, "billing", 2500, time.Now())
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		m.FeedEvent(rec, now)
	}
}
