package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/eventschemas/storedjson"
	"github.com/parley-chat/parley/projections"
)

// queueWaitBuckets run from a tenth of a second to an hour: a customer
// waits for a person, not for a disk.
var queueWaitBuckets = []float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// otherQueue labels an assignment to a queue this node was not configured
// with, so that an event cannot mint label values.
const otherQueue = "other"

// newRoutingMetrics creates the feed-fed routing metrics; New registers
// them.
func (m *Metrics) newRoutingMetrics() []prometheus.Collector {
	m.queueWaitSecs = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "parley_queue_wait_duration_seconds", Help: "Time a conversation waited in its queue before an assignment, by queue (assignments recorded since start).", Buckets: queueWaitBuckets,
	}, []string{"queue"})
	m.assignments = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_routing_assignments_total", Help: "Conversations assigned to an agent (transfers included), by queue (assignments recorded since start).",
	}, []string{"queue"})
	return []prometheus.Collector{m.queueWaitSecs, m.assignments}
}

// Queues exports, at each scrape, the figures of the queues in names as
// figures returns them (the routing read model's Queues), and names the
// queues the assignment metrics may carry. Call it before the feed starts.
func (m *Metrics) Queues(names []string, figures func(names []string, now time.Time) []projections.QueueView) {
	m.queueNames = make(map[string]bool, len(names))
	for _, n := range names {
		m.queueNames[n] = true
	}
	m.reg.MustRegister(&queueCollector{names: names, figures: figures})
}

// assigned counts an assignment the feed handed over and observes how long
// its conversation waited.
func (m *Metrics) assigned(rec domain.RecordedEvent) {
	e, err := storedjson.DecodeRouting(rec)
	if err != nil {
		return
	}
	a, ok := e.(routing.ConversationAssigned)
	if !ok {
		return
	}
	queue := a.Queue
	if !m.queueNames[queue] {
		queue = otherQueue
	}
	m.assignments.WithLabelValues(queue).Inc()
	m.queueWaitSecs.WithLabelValues(queue).Observe(float64(a.WaitedMs) / 1000)
}

var (
	queueWaiting    = prometheus.NewDesc("parley_queue_waiting_conversations", "Conversations waiting in a queue for an agent.", []string{"queue"}, nil)
	queueOldestWait = prometheus.NewDesc("parley_queue_oldest_wait_seconds", "How long the longest-waiting conversation of a queue has waited; 0 when none waits.", []string{"queue"}, nil)
	queueReady      = prometheus.NewDesc("parley_queue_ready_agents", "Ready agents serving a queue that can take another conversation.", []string{"queue"}, nil)
	queueBusy       = prometheus.NewDesc("parley_queue_busy_agents", "Ready agents serving a queue at full capacity.", []string{"queue"}, nil)
)

type queueCollector struct {
	names   []string
	figures func(names []string, now time.Time) []projections.QueueView
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueWaiting
	ch <- queueOldestWait
	ch <- queueReady
	ch <- queueBusy
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.figures(c.names, time.Now()) {
		ch <- prometheus.MustNewConstMetric(queueWaiting, prometheus.GaugeValue, float64(q.Waiting), q.Name)
		ch <- prometheus.MustNewConstMetric(queueOldestWait, prometheus.GaugeValue, float64(q.OldestWaitMs)/1000, q.Name)
		ch <- prometheus.MustNewConstMetric(queueReady, prometheus.GaugeValue, float64(q.AgentsReady), q.Name)
		ch <- prometheus.MustNewConstMetric(queueBusy, prometheus.GaugeValue, float64(q.AgentsBusy), q.Name)
	}
}
