package metrics

import (
	"context"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// Store decorates an event store: it counts the events appended by type
// and times each append. Everything else passes through.
func (m *Metrics) Store(inner domain.EventStore) domain.EventStore {
	return &store{EventStore: inner, m: m}
}

type store struct {
	domain.EventStore
	m *Metrics
}

// Append implements domain.EventStore.
func (s *store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	start := time.Now()
	res, err := s.EventStore.Append(ctx, stream, expected, events)
	s.m.appendSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.appendFailures.WithLabelValues(string(domain.ErrorCode(err))).Inc()
		return res, err
	}
	for _, e := range events {
		s.m.eventsStored.WithLabelValues(e.Type).Inc()
	}
	return res, nil
}

// FeedEvent observes one event of the live feed as it is handed to the
// read models and rooms. Call it from a feed consumer. Events recorded
// before the process started (the history the feed replays at start) are
// not counted: their outcomes were counted by the process that saw them
// happen. How far the feed got is Projection's to report.
func (m *Metrics) FeedEvent(rec domain.RecordedEvent, _ time.Time) {
	if rec.Recorded.Before(m.started) {
		return
	}
	switch rec.Type {
	case domain.EventTranscriptEmailRequested:
		m.emails.WithLabelValues("requested").Inc()
	case domain.EventTranscriptEmailSent:
		m.emails.WithLabelValues("sent").Inc()
	case domain.EventTranscriptEmailFailed:
		m.emails.WithLabelValues("failed").Inc()
	case routing.EventConversationAssigned:
		m.assigned(rec)
	}
}

// MessageWritten observes the time from a message's append to the moment
// its messageArrived frame was written to a websocket or Socket.IO
// connection: the delivery latency a client sees, once per receiving
// connection.
func (m *Metrics) MessageWritten(d time.Duration) { m.deliverySecs.Observe(d.Seconds()) }
