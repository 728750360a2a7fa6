// Package tracing exports OpenTelemetry traces over OTLP: a span for each
// REST request (and websocket upgrade), for each store append, and for each
// live delivery of a stored event, joined into one trace per command. The
// trace id goes into the metadata of every event appended under a span, so
// an event in the history leads to its trace. Like the metrics, it works
// through decorators: nothing in the hot paths knows of it.
package tracing

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/parley-chat/parley/domain"
)

// Name is the instrumentation scope of Parley's spans.
const Name = "github.com/parley-chat/parley"

// NewProvider returns a tracer provider that batches spans to the OTLP/HTTP
// endpoint (a URL such as http://127.0.0.1:4318). Shut it down to flush.
func NewProvider(ctx context.Context, endpoint string) (*sdktrace.TracerProvider, error) {
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, fmt.Errorf("--otlp-endpoint must be an http(s) URL of an OTLP/HTTP collector, such as http://127.0.0.1:4318, not %q", endpoint)
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimSuffix(endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("--otlp-endpoint: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("parley")))), nil
}

// Store decorates an event store: each append is a span, a child of the
// span in its context (the request's), and each event appended carries
// the trace id in its metadata.
func Store(inner domain.EventStore, tp trace.TracerProvider) domain.EventStore {
	return &store{EventStore: inner, tracer: tp.Tracer(Name)}
}

type store struct {
	domain.EventStore
	tracer trace.Tracer
}

// Append implements domain.EventStore.
func (s *store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	ctx, span := s.tracer.Start(ctx, "store.append", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("parley.stream", stream), attribute.Int("parley.events", len(events))))
	defer span.End()
	traceID := span.SpanContext().TraceID().String()
	// A copy: the caller's slice may be retried as it was.
	traced := make([]domain.EventData, len(events))
	for i, e := range events {
		if e.Metadata.TraceID == "" {
			e.Metadata.TraceID = traceID
		}
		traced[i] = e
	}
	res, err := s.EventStore.Append(ctx, stream, expected, traced)
	if err != nil {
		span.SetStatus(codes.Error, string(domain.ErrorCode(err)))
	}
	return res, err
}

// HTTP decorates the REST edge: each request is a server span, the parent
// of what the request stores, continuing the caller's trace when it sends
// a W3C traceparent header.
func HTTP(next http.Handler, tp trace.TracerProvider) http.Handler {
	tracer, prop := tp.Tracer(Name), propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		defer span.End()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
		if rec.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.status))
		}
	})
}

// Delivery returns a function that records the live delivery of a stored
// event as a span of the trace that stored it (events stored without a
// trace are not traced).
func Delivery(tp trace.TracerProvider) func(rec domain.RecordedEvent) {
	tracer := tp.Tracer(Name)
	return func(rec domain.RecordedEvent) {
		id, err := trace.TraceIDFromHex(rec.Metadata.TraceID)
		if err != nil {
			return
		}
		// Only the trace id is stored, not the append's span id: the
		// delivery joins the trace under a parent made from the event id.
		parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: id, SpanID: spanIDOf(rec.ID), TraceFlags: trace.FlagsSampled, Remote: true})
		_, span := tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), parent), "deliver",
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.String("parley.event.type", rec.Type), attribute.Int64("parley.position", int64(rec.Position))))
		span.End()
	}
}

// spanIDOf derives a span id from an event id (a UUID): its first 8 bytes.
func spanIDOf(eventID string) trace.SpanID {
	var sid trace.SpanID
	hex := strings.ReplaceAll(eventID, "-", "")
	if len(hex) >= 16 {
		if id, err := trace.SpanIDFromHex(hex[:16]); err == nil {
			return id
		}
	}
	sid[7] = 1
	return sid
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the writer beneath (the
// websocket upgrade hijacks it).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack implements http.Hijacker, for the websocket upgrade.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.status = http.StatusSwitchingProtocols
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// Command returns a function that makes a websocket command a span, the
// parent of what the command stores; end it with the command's error.
func Command(tp trace.TracerProvider) func(ctx context.Context, event string) (context.Context, func(error)) {
	tracer := tp.Tracer(Name)
	return func(ctx context.Context, event string) (context.Context, func(error)) {
		ctx, span := tracer.Start(ctx, "ws "+event, trace.WithSpanKind(trace.SpanKindServer))
		return ctx, func(err error) {
			if err != nil {
				span.SetStatus(codes.Error, string(domain.ErrorCode(err)))
			}
			span.End()
		}
	}
}

// Webhook returns a function that makes each webhook delivery attempt a
// client span in the trace that stored the event (a trace of its own for
// an event stored without one); end it with the attempt's error.
func Webhook(tp trace.TracerProvider) func(ctx context.Context, webhook string, rec domain.RecordedEvent) (context.Context, func(error)) {
	tracer := tp.Tracer(Name)
	return func(ctx context.Context, webhook string, rec domain.RecordedEvent) (context.Context, func(error)) {
		if id, err := trace.TraceIDFromHex(rec.Metadata.TraceID); err == nil {
			parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: id, SpanID: spanIDOf(rec.ID), TraceFlags: trace.FlagsSampled, Remote: true})
			ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
		}
		ctx, span := tracer.Start(ctx, "webhook "+webhook, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("parley.event.type", rec.Type), attribute.Int64("parley.position", int64(rec.Position))))
		return ctx, func(err error) {
			if err != nil {
				span.SetStatus(codes.Error, err.Error())
			}
			span.End()
		}
	}
}
