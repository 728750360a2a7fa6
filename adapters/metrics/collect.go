package metrics

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-chat/parley/domain/webhook"
	"github.com/parley-chat/parley/projections"
)

// Connections wraps the websocket handler: a connection counts as open
// from its upgrade (the hijack of its HTTP connection) until that
// connection is closed, however the handler serves it. role names the
// role of the request's credential ("customer" for none: only a customer
// token, given later, can make anything of it).
func (m *Metrics) Connections(transport string, role func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&hijackCounter{ResponseWriter: w, gauge: m.connections.WithLabelValues(transport, role(r)),
			frames: m.framesSent.WithLabelValues(transport)}, r)
	})
}

// hijackCounter counts a hijacked connection as open until it is closed.
type hijackCounter struct {
	http.ResponseWriter
	gauge  prometheus.Gauge
	frames prometheus.Counter
}

// Hijack implements http.Hijacker.
func (h *hijackCounter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("metrics: the response writer cannot be hijacked")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.gauge.Inc()
	return &countedConn{Conn: conn, gauge: h.gauge, frames: h.frames}, rw, nil
}

// Unwrap lets http.ResponseController reach the writer beneath.
func (h *hijackCounter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

type countedConn struct {
	net.Conn
	gauge   prometheus.Gauge
	frames  prometheus.Counter
	once    sync.Once
	counter frameCounter
}

// Write counts the data frames in what the server writes.
func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if k := c.counter.feed(p[:n]); k > 0 {
		c.frames.Add(float64(k))
	}
	return n, err
}

func (c *countedConn) Close() error {
	c.once.Do(c.gauge.Dec)
	return c.Conn.Close()
}

// Webhooks exports the state of the webhooks at each scrape: how far each
// lags and whether it is paused or failing.
func (m *Metrics) Webhooks(list func(context.Context) ([]webhook.Status, error)) {
	m.reg.MustRegister(&webhookCollector{list: list})
}

var (
	webhookLagEvents = prometheus.NewDesc("parley_webhook_lag_events", "Conversation events a webhook has still to deliver (counted up to 10000).", []string{"webhook"}, nil)
	webhookLagSecs   = prometheus.NewDesc("parley_webhook_lag_seconds", "Age of the oldest event a webhook has still to deliver.", []string{"webhook"}, nil)
	webhookPaused    = prometheus.NewDesc("parley_webhook_paused", "1 while an operator has paused the webhook.", []string{"webhook"}, nil)
	webhookAttempts  = prometheus.NewDesc("parley_webhook_failing_attempts", "Failed attempts of the event a webhook is retrying now; 0 when none fails.", []string{"webhook"}, nil)
	storeSize        = prometheus.NewDesc("parley_store_size_bytes", "Bytes the embedded store's files take on disk.", nil, nil)
)

type webhookCollector struct {
	list func(context.Context) ([]webhook.Status, error)
}

func (c *webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- webhookLagEvents
	ch <- webhookLagSecs
	ch <- webhookPaused
	ch <- webhookAttempts
}

func (c *webhookCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.list(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(webhookLagEvents, err)
		return
	}
	for _, s := range list {
		paused := 0.0
		if s.Paused {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(webhookLagEvents, prometheus.GaugeValue, float64(s.LagEvents), s.Name)
		ch <- prometheus.MustNewConstMetric(webhookLagSecs, prometheus.GaugeValue, s.LagSeconds, s.Name)
		ch <- prometheus.MustNewConstMetric(webhookPaused, prometheus.GaugeValue, paused, s.Name)
		ch <- prometheus.MustNewConstMetric(webhookAttempts, prometheus.GaugeValue, float64(s.Attempts), s.Name)
	}
}

// ConnectorBacklog exports, at each scrape, what each channel's
// connectors have still to deliver.
func (m *Metrics) ConnectorBacklog(backlog func() []projections.ConnectorBacklog) {
	m.reg.MustRegister(backlogCollector(backlog))
}

var (
	connectorPending  = prometheus.NewDesc("parley_connector_backlog_conversations", "Conversations with messages awaiting delivery through a channel's connectors.", []string{"channel"}, nil)
	connectorInFlight = prometheus.NewDesc("parley_connector_in_flight_conversations", "Conversations with a message sent to a connector and not yet acknowledged.", []string{"channel"}, nil)
)

type backlogCollector func() []projections.ConnectorBacklog

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- connectorPending
	ch <- connectorInFlight
}

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c() {
		ch <- prometheus.MustNewConstMetric(connectorPending, prometheus.GaugeValue, float64(b.Pending), b.Channel)
		ch <- prometheus.MustNewConstMetric(connectorInFlight, prometheus.GaugeValue, float64(b.InFlight), b.Channel)
	}
}

// StoreSize exports the bytes the files under dir take, summed at each
// scrape.
func (m *Metrics) StoreSize(dir string) {
	m.reg.MustRegister(storeSizeCollector(dir))
}

type storeSizeCollector string

func (c storeSizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- storeSize }

func (c storeSizeCollector) Collect(ch chan<- prometheus.Metric) {
	var total int64
	_ = filepath.WalkDir(string(c), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	ch <- prometheus.MustNewConstMetric(storeSize, prometheus.GaugeValue, float64(total))
}
