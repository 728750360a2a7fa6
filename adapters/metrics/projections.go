package metrics

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-chat/parley/domain"
)

// LagScanLimit is the most events a scrape reads after a projection's
// position to count how far behind it is: a projection further behind
// shows this many, and its seconds behind are still exact.
const LagScanLimit = 10_000

var (
	projectionLagEvents = prometheus.NewDesc("parley_projection_lag_events",
		"Events of the projection's streams after the last one it handled, read from the store at the scrape (counted over at most 10000 events read); 0 when caught up.",
		[]string{"projection"}, nil)
	projectionLagSecs = prometheus.NewDesc("parley_projection_lag_seconds",
		"Age of the oldest event of the projection's streams it has still to handle; 0 when caught up.",
		[]string{"projection"}, nil)
	projectionPosition = prometheus.NewDesc("parley_projection_position",
		"Global position of the last event the projection handled (or it started after).",
		[]string{"projection"}, nil)
)

// Projection decorates the store a projection subscribes through: each
// SubscribeToAll of that store records where it starts and every event its
// handler has handled, and a scrape reports, under name, how far behind the
// store's head that projection is. The projection needs no hook, and the
// count means the same on every store: events read after its position, not
// position arithmetic (EventStoreDB's positions are byte offsets).
func (m *Metrics) Projection(name string, inner domain.EventStore) domain.EventStore {
	p := &projectionLag{name: name, store: inner, now: time.Now}
	m.projMu.Lock()
	defer m.projMu.Unlock()
	if m.projections == nil {
		m.reg.MustRegister(projectionCollector{m})
	}
	m.projections = append(m.projections, p)
	return &projectionStore{EventStore: inner, p: p}
}

// projectionLag is one projection's progress, and what the last scrape
// found after it.
type projectionLag struct {
	name  string
	store domain.EventStore
	now   func() time.Time

	// Written by the subscription's goroutine, read by scrapes.
	prefix  atomic.Pointer[string]
	pos     atomic.Uint64
	running atomic.Bool

	// The last scrape's count, continued by the next while the position
	// has not moved: an idle, caught-up projection reads only what is new.
	mu      sync.Mutex
	base    domain.After // the position counted from
	scanned domain.After // the last event read
	count   int
	oldest  time.Time
	read    int // events read since base
}

type projectionStore struct {
	domain.EventStore
	p *projectionLag
}

// SubscribeToAll implements domain.EventStore.
func (s *projectionStore) SubscribeToAll(ctx context.Context, after domain.After, filter domain.Filter, h domain.Handler, opts domain.SubscribeOptions) error {
	prefix := filter.StreamPrefix
	s.p.prefix.Store(&prefix)
	s.p.pos.Store(uint64(after))
	s.p.running.Store(true)
	return s.EventStore.SubscribeToAll(ctx, after, filter, func(ctx context.Context, rec domain.RecordedEvent) error {
		if err := h(ctx, rec); err != nil {
			return err
		}
		s.p.pos.Store(rec.Position)
		return nil
	}, opts)
}

// lag counts the events of the projection's streams after its position,
// reading at most LagScanLimit of all events, and the age of the first.
func (p *projectionLag) lag(ctx context.Context) (events int, seconds float64, pos domain.After, err error) {
	pos = domain.After(p.pos.Load())
	prefix := ""
	if pp := p.prefix.Load(); pp != nil {
		prefix = *pp
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos != p.base || p.scanned < pos {
		p.base, p.scanned, p.count, p.oldest, p.read = pos, pos, 0, time.Time{}, 0
	}
	for p.read < LagScanLimit {
		recs, err := p.store.ReadAll(ctx, p.scanned, min(1000, LagScanLimit-p.read))
		if err != nil {
			return 0, 0, pos, err
		}
		for _, rec := range recs {
			if strings.HasPrefix(rec.Stream, prefix) {
				if p.count == 0 {
					p.oldest = rec.Recorded
				}
				p.count++
			}
			p.scanned = domain.After(rec.Position)
		}
		p.read += len(recs)
		if len(recs) < 1000 {
			break
		}
	}
	if p.count > 0 {
		seconds = max(p.now().Sub(p.oldest).Seconds(), 0)
	}
	return p.count, seconds, pos, nil
}

type projectionCollector struct{ m *Metrics }

func (c projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- projectionLagEvents
	ch <- projectionLagSecs
	ch <- projectionPosition
}

func (c projectionCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.projMu.Lock()
	list := append([]*projectionLag(nil), c.m.projections...)
	c.m.projMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, p := range list {
		if !p.running.Load() {
			continue // not subscribed yet: nothing to say
		}
		events, seconds, pos, err := p.lag(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(projectionLagEvents, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(projectionLagEvents, prometheus.GaugeValue, float64(events), p.name)
		ch <- prometheus.MustNewConstMetric(projectionLagSecs, prometheus.GaugeValue, seconds, p.name)
		ch <- prometheus.MustNewConstMetric(projectionPosition, prometheus.GaugeValue, float64(pos), p.name)
	}
}
