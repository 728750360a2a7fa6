// Package metrics exports Parley's metrics in the Prometheus text format
// (client_golang). Nothing in the hot paths knows of it: it decorates the
// event store, wraps the websocket handler, and takes small hooks (a feed
// consumer, the webhooks' attempt callback, the REST edge's error
// callback). Labels have few values: event types, transports, roles, error
// codes, webhook names, configured queue names; never a conversation,
// customer or agent id.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parley-chat/parley/domain"
)

// Metrics holds every metric Parley exports and the registry that serves
// them.
type Metrics struct {
	reg     *prometheus.Registry
	started time.Time

	eventsStored   *prometheus.CounterVec
	appendSeconds  prometheus.Histogram
	appendFailures *prometheus.CounterVec
	deliverySecs   prometheus.Histogram
	connections    *prometheus.GaugeVec
	errors         *prometheus.CounterVec
	webhookTotal   *prometheus.CounterVec
	webhookSeconds *prometheus.HistogramVec
	emails         *prometheus.CounterVec
	commands       *prometheus.CounterVec
	framesSent     *prometheus.CounterVec
	ackSeconds     *prometheus.HistogramVec
	queueWaitSecs  *prometheus.HistogramVec
	assignments    *prometheus.CounterVec
	// queueNames are the configured queues (see Queues).
	queueNames map[string]bool
	// projections are the projections whose lag is reported (see
	// Projection).
	projMu      sync.Mutex
	projections []*projectionLag
}

// latencyBuckets run from half a millisecond to ten seconds.
var latencyBuckets = prometheus.ExponentialBuckets(0.0005, 2.5, 12)

// New returns the metrics, registered with the Go and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), started: time.Now()}
	m.eventsStored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_events_stored_total", Help: "Events appended to the store, by event type.",
	}, []string{"type"})
	m.appendSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "parley_store_append_duration_seconds", Help: "Time an append to the event store takes.", Buckets: latencyBuckets,
	})
	m.appendFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_store_append_failures_total", Help: "Appends the store refused or failed, by error code.",
	}, []string{"code"})
	m.deliverySecs = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "parley_message_delivery_latency_seconds", Help: "Time from a message's append to the moment its messageArrived frame was written to a connection of this node.", Buckets: latencyBuckets,
	})
	m.connections = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "parley_connections_open", Help: "Open client connections, by transport and the role of their credential.",
	}, []string{"transport", "role"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_errors_total", Help: "Errors answered to clients, by transport and error code.",
	}, []string{"transport", "code"})
	m.webhookTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_webhook_deliveries_total", Help: "Webhook delivery attempts, by webhook and result (success or failure).",
	}, []string{"webhook", "result"})
	m.webhookSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "parley_webhook_request_duration_seconds", Help: "Time a webhook receiver takes to answer, by webhook.", Buckets: latencyBuckets,
	}, []string{"webhook"})
	m.emails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_transcript_emails_total", Help: "Transcript email events seen since start, by state (requested, sent, failed attempt).",
	}, []string{"state"})
	m.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_websocket_frames_received_total", Help: "Command frames received on websockets, by event (other for names Parley does not know).",
	}, []string{"event"})
	m.framesSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_websocket_frames_sent_total", Help: "Data frames written to clients, by transport.",
	}, []string{"transport"})
	m.ackSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "parley_connector_ack_latency_seconds", Help: "Time from a message sent to a connector to its acknowledgement, by channel.", Buckets: latencyBuckets,
	}, []string{"channel"})
	m.reg.MustRegister(m.ackSeconds, m.framesSent, m.commands, m.emails, m.eventsStored, m.appendSeconds, m.appendFailures, m.deliverySecs,
		m.connections, m.errors, m.webhookTotal, m.webhookSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(m.newRoutingMetrics()...)
	return m
}

// Handler serves GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Error counts an error answered on transport with code.
func (m *Metrics) Error(transport string, code domain.Code) {
	m.errors.WithLabelValues(transport, string(code)).Inc()
}

// ConnectorAck observes how long a connector of channel took to
// acknowledge a message.
func (m *Metrics) ConnectorAck(channel string, took time.Duration) {
	m.ackSeconds.WithLabelValues(channel).Observe(took.Seconds())
}

// Command counts one websocket command frame, and its error by code.
func (m *Metrics) Command(event string, err error) {
	m.commands.WithLabelValues(event).Inc()
	if err != nil {
		m.Error("websocket", domain.ErrorCode(err))
	}
}

// WebhookAttempt counts one delivery attempt of webhook; err is nil for a
// success.
func (m *Metrics) WebhookAttempt(webhook string, err error, took time.Duration) {
	result := "success"
	if err != nil {
		result = "failure"
	}
	m.webhookTotal.WithLabelValues(webhook, result).Inc()
	m.webhookSeconds.WithLabelValues(webhook).Observe(took.Seconds())
}
