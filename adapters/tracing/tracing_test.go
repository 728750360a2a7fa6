package tracing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/tracing"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/eventschemas"
)

func setup(t *testing.T) (*tracetest.InMemoryExporter, *sdktrace.TracerProvider, domain.EventStore) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	inner, err := diskstore.Open(t.TempDir(), diskstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := tracing.Store(eventschemas.Checked(inner, eventschemas.MustLoad()), tp)
	t.Cleanup(func() { store.Close() })
	return exp, tp, store
}

// TestRequestAppendDeliveryOneTrace: a REST request that starts a
// conversation, the append it makes and the live delivery of the events
// stored form one trace, whose id the stored events carry.
func TestRequestAppendDeliveryOneTrace(t *testing.T) {
	exp, tp, store := setup(t)
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	var conv string
	h := tracing.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started, err := svc.Start(r.Context(), domain.StartConversation{Channel: "web", Personal: domain.PersonalData{Email: "a@example.com"}}, domain.Metadata{CorrelationID: "req-1"})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		conv = started.ConversationID
		w.WriteHeader(http.StatusCreated)
	}), tp)
	req := httptest.NewRequest("POST", "/api/customer/init", nil)
	// The caller's own trace is continued.
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}

	recs, err := store.ReadStream(t.Context(), domain.StreamName(conv), 0, 10)
	if err != nil || len(recs) == 0 {
		t.Fatalf("read: %v", err)
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, r := range recs {
		if r.Metadata.TraceID != traceID || r.Metadata.CorrelationID != "req-1" {
			t.Errorf("event %s metadata = %+v, want trace %s and the correlation id kept", r.Type, r.Metadata, traceID)
		}
	}
	deliver := tracing.Delivery(tp)
	for _, r := range recs {
		deliver(r)
	}

	spans := exp.GetSpans()
	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans {
		if s.SpanContext.TraceID().String() != traceID {
			t.Errorf("span %s is in trace %s, not the request's", s.Name, s.SpanContext.TraceID())
		}
		byName[s.Name] = append(byName[s.Name], s)
	}
	if len(byName["HTTP POST"]) != 1 || len(byName["store.append"]) != 1 || len(byName["deliver"]) != len(recs) {
		t.Fatalf("spans: %v", names(spans))
	}
	server, app := byName["HTTP POST"][0], byName["store.append"][0]
	if app.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Errorf("the append is not a child of the request span")
	}
	if server.SpanKind != trace.SpanKindServer {
		t.Errorf("request span kind %v", server.SpanKind)
	}
}

// TestAppendWithoutSpanStartsATrace: an append with no span in its context
// (a websocket command) is a trace of its own, and its events carry it.
func TestAppendWithoutSpanStartsATrace(t *testing.T) {
	exp, _, store := setup(t)
	svc, _ := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	started, err := svc.Start(t.Context(), domain.StartConversation{Channel: "web", Personal: domain.PersonalData{Email: "a@example.com"}}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := store.ReadStream(t.Context(), domain.StreamName(started.ConversationID), 0, 1)
	spans := exp.GetSpans()
	if len(spans) != 1 || recs[0].Metadata.TraceID != spans[0].SpanContext.TraceID().String() {
		t.Fatalf("spans %v, stored trace %q", names(spans), recs[0].Metadata.TraceID)
	}
}

func TestNewProviderRefusesABadEndpoint(t *testing.T) {
	if _, err := tracing.NewProvider(t.Context(), "127.0.0.1:4318"); err == nil {
		t.Fatal("an endpoint without a scheme was accepted")
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestCommandIsParentOfItsAppend: a websocket command's span is the parent
// of the append it makes, and its error code is the span's status.
func TestCommandIsParentOfItsAppend(t *testing.T) {
	exp, tp, store := setup(t)
	svc, _ := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	command := tracing.Command(tp)
	ctx, done := command(t.Context(), "joinConversation")
	_, err := svc.Start(ctx, domain.StartConversation{Channel: "web", Personal: domain.PersonalData{Email: "a@example.com"}}, domain.Metadata{})
	done(err)
	_, done = command(t.Context(), "sendMessage")
	done(domain.Errorf(domain.CodeNotFound, "no such conversation"))

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("spans: %v", names(spans))
	}
	app, join, send := spans[0], spans[1], spans[2]
	if app.Name != "store.append" || join.Name != "ws joinConversation" || app.Parent.SpanID() != join.SpanContext.SpanID() {
		t.Errorf("the append is not a child of its command: %v", names(spans))
	}
	if send.Status.Description != "conversation_not_found" {
		t.Errorf("failed command status = %+v", send.Status)
	}
}

// TestWebhookSpanJoinsTheEventsTrace: a webhook attempt is a span in the
// trace of the event it delivers.
func TestWebhookSpanJoinsTheEventsTrace(t *testing.T) {
	exp, tp, _ := setup(t)
	attempt := tracing.Webhook(tp)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	rec := domain.RecordedEvent{ID: "9b2f6d1e-4a3c-4e7b-8d5f-0c1a2b3d4e5f", Type: domain.EventChatMessage, Metadata: domain.Metadata{TraceID: traceID}}
	_, end := attempt(t.Context(), "crm", rec)
	end(nil)
	rec.Metadata.TraceID = ""
	_, end = attempt(t.Context(), "crm", rec)
	end(errors.New("status 500"))
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].Name != "webhook crm" || spans[0].SpanContext.TraceID().String() != traceID {
		t.Fatalf("spans %v", names(spans))
	}
	if spans[1].SpanContext.TraceID().String() == traceID || spans[1].Status.Description != "status 500" {
		t.Errorf("an event without a trace: span %+v", spans[1])
	}
}
