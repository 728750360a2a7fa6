package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/parley-chat/parley/adapters/httpapi"
	"github.com/parley-chat/parley/adapters/metrics"
	"github.com/parley-chat/parley/adapters/tracing"
	"github.com/parley-chat/parley/adapters/webhook"
	"github.com/parley-chat/parley/adapters/ws"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// OpsConfig is what parley serve tells its operators.
type OpsConfig struct {
	MetricsAddr  string
	OTLPEndpoint string
}

func (c *OpsConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "address to serve GET /metrics on (Prometheus), e.g. 127.0.0.1:9090; empty serves it on --addr, to staff keys only")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", "", "OTLP/HTTP collector to export OpenTelemetry traces to, e.g. http://127.0.0.1:4318; empty for no tracing")
}

// ops holds the metrics and webhooks of a running server.
type ops struct {
	metrics *metrics.Metrics
	hooks   *webhook.Manager
	server  *http.Server
	// traces is nil without --otlp-endpoint.
	traces  *sdktrace.TracerProvider
	deliver func(domain.RecordedEvent)
	command func(context.Context, string) (context.Context, func(error))
}

// newOps creates the metrics; the store and the feed are instrumented
// through what it returns.
func (m *Main) newOps(ctx context.Context) (*ops, error) {
	o := &ops{metrics: metrics.New()}
	if isEmbedded(m.Config) {
		o.metrics.StoreSize(m.Config.DataDir)
	}
	if m.Config.Ops.OTLPEndpoint != "" {
		tp, err := tracing.NewProvider(ctx, m.Config.Ops.OTLPEndpoint)
		if err != nil {
			return nil, err
		}
		o.traces, o.deliver, o.command = tp, tracing.Delivery(tp), tracing.Command(tp)
		m.Logger.Info("exporting traces", "endpoint", m.Config.Ops.OTLPEndpoint)
	}
	return o, nil
}

// instrument decorates the store with metrics and, when on, traces.
func (o *ops) instrument(store domain.EventStore) domain.EventStore {
	store = o.metrics.Store(store)
	if o.traces != nil {
		store = tracing.Store(store, o.traces)
	}
	return store
}

// traceHTTP makes each request a span, when tracing is on.
func (o *ops) traceHTTP(h http.Handler) http.Handler {
	if o.traces == nil {
		return h
	}
	return tracing.HTTP(h, o.traces)
}

// feed is the live feed consumer that measures it.
func (o *ops) feed(_ context.Context, e *projections.FeedEvent) error {
	o.metrics.FeedEvent(e.RecordedEvent, time.Now())
	if o.deliver != nil {
		o.deliver(e.RecordedEvent)
	}
	return nil
}

// commandEvents are the websocket commands Parley knows; any other name
// is counted as "other", so that a client cannot mint label values.
var commandEvents = map[string]bool{ws.EventJoinConversation: true, ws.EventSendMessage: true, ws.EventEndConversation: true,
	ws.EventRegisterConnector: true, ws.EventMessageDelivered: true}

// onCommand wraps each websocket command in a span (when tracing is on)
// and counts it.
func (o *ops) onCommand(ctx context.Context, event string) (context.Context, func(error)) {
	if !commandEvents[event] {
		event = "other"
	}
	var end func(error)
	if o.command != nil {
		ctx, end = o.command(ctx, event)
	}
	return ctx, func(err error) {
		o.metrics.Command(event, err)
		if end != nil {
			end(err)
		}
	}
}

// wrapWebsocket counts the open websocket connections.
func (o *ops) wrapWebsocket(creds domain.Credentials, h http.Handler) http.Handler {
	return o.metrics.Connections("websocket", func(r *http.Request) string {
		if _, open := creds.(domain.OpenAccess); open {
			return "any"
		}
		p, err := creds.Authenticate(domain.BearerCredential(r.Header.Get("Authorization")))
		if err != nil || p.Role == "" {
			return string(domain.RoleCustomer)
		}
		return string(p.Role)
	}, h)
}

// startWebhooks creates and runs the webhooks, if any is configured.
func (m *Main) startOpsWebhooks(store domain.EventStore) error {
	hooks, err := m.newWebhooks(store, m.ops.metrics.WebhookAttempt, m.ops.webhookTrace())
	if err != nil {
		return err
	}
	if hooks != nil {
		m.ops.hooks = hooks
		m.ops.metrics.Webhooks(hooks.List)
		m.startWebhooks(m.feedCtx, hooks)
	}
	return nil
}

// webhookTrace makes each webhook attempt a span, when tracing is on.
func (o *ops) webhookTrace() func(context.Context, string, domain.RecordedEvent) (context.Context, func(error)) {
	if o.traces == nil {
		return nil
	}
	return tracing.Webhook(o.traces)
}

// mainMetrics is the /metrics handler of the main address: nil when
// --metrics-addr serves it elsewhere.
func (o *ops) mainMetrics(cfg OpsConfig) http.Handler {
	if cfg.MetricsAddr != "" {
		return nil
	}
	return o.metrics.Handler()
}

// serveMetrics serves GET /metrics, and only that, on --metrics-addr.
func (o *ops) serveMetrics(addr string, logger *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.metrics.Handler())
	o.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := o.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "err", err)
		}
	}()
	logger.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	return nil
}

func (o *ops) close(ctx context.Context) error {
	if o == nil {
		return nil
	}
	var errs []error
	if o.server != nil {
		errs = append(errs, o.server.Shutdown(ctx))
	}
	if o.traces != nil {
		errs = append(errs, o.traces.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// webhooksAPI is what the REST edge serves the webhook routes with: nil
// (no routes) without webhooks.
func (o *ops) webhooksAPI() httpapi.Webhooks {
	if o.hooks == nil {
		return nil
	}
	return o.hooks
}
