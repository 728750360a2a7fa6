package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/auth"
	"github.com/parley-chat/parley/adapters/diskspace"
	"github.com/parley-chat/parley/adapters/httpapi"
	"github.com/parley-chat/parley/adapters/logredact"
	"github.com/parley-chat/parley/adapters/socketio"
	"github.com/parley-chat/parley/adapters/ws"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/projections"
)

// ServeConfig is the configuration of parley serve.
type ServeConfig struct {
	Addr            string
	DataDir         string
	Store           string
	StoreTyping     bool
	MinFreeSpace    byteSize
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration

	Auth          string
	AuthSecret    string
	APIKeys       string
	APIKeysFile   string
	TokenTTL      time.Duration
	AllowedOrigin string
	TrustProxy    bool

	AckTimeout      time.Duration
	ConnectorWindow int
	ClaimTimeout    time.Duration

	MaxInfoMessages     int
	ReadModelCacheBytes int64
	GreetingsFile       string

	SocketIOWebsocketOnly bool
	SocketIOPingInterval  time.Duration
	SocketIOPingTimeout   time.Duration

	MaxFrameBytes     int64
	MaxTextLength     int
	MaxAttachments    int
	MaxParticipants   int
	MaxSockets        int
	FramesPerSecond   float64
	FrameBurst        int
	OutboundBuffer    int
	InitsPerMinute    int
	InitBurst         int
	MaxBodyBytes      int64
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration

	Mail     MailConfig
	Routing  RoutingConfig
	Webhooks WebhookConfig
	Ops      OpsConfig
	// DebugAddr serves net/http/pprof on a loopback address; empty for none.
	DebugAddr string
	// PersonalDataSecret is the file of the blind index's secret; empty for
	// personal-data.secret in DataDir.
	PersonalDataSecret string
}

func (c *ServeConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the embedded event store")
	fs.StringVar(&c.Store, "store", "", "event store: empty for the embedded store in --data-dir, or an EventStoreDB connection string (esdb://host:2113?tls=false)")
	fs.BoolVar(&c.StoreTyping, "store-typing", false, "store typing activities instead of only relaying them")
	c.MinFreeSpace = diskspace.DefaultMin
	fs.Var(&c.MinFreeSpace, "min-free-space", "free space under --data-dir below which new conversations are refused (running ones go on); 0 for no check")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful shutdown may take")

	fs.StringVar(&c.Auth, "auth", "on", "authentication: on, or off for local development only")
	fs.StringVar(&c.AuthSecret, "auth-secret", "", "secret that signs customer tokens (at least 32 bytes)")
	fs.StringVar(&c.APIKeys, "api-keys", "", "API keys of staff and systems: name:role:secret entries, comma-separated")
	fs.StringVar(&c.APIKeysFile, "api-keys-file", "", "file of API keys, one name:role:secret entry a line")
	fs.DurationVar(&c.TokenTTL, "token-ttl", 24*time.Hour, "how long a customer token is valid")
	fs.StringVar(&c.AllowedOrigin, "allowed-origins", "", "origins browsers may connect from (websocket Origin and CORS), comma-separated; * for any")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", false, "take client IPs from X-Forwarded-For (behind a reverse proxy)")

	fs.DurationVar(&c.AckTimeout, "connector-ack-timeout", 30*time.Second, "how long a connector has to acknowledge a message before it is sent again")
	fs.IntVar(&c.ConnectorWindow, "connector-window", 100, "conversations that may each have a message in flight to one connector connection")
	fs.DurationVar(&c.ClaimTimeout, "claim-timeout", 30*time.Second, "how long a node holds its claim on a connector delivery or a transcript email, so that of several nodes one sends it; 0 claims nothing (one node only)")
	fs.IntVar(&c.MaxInfoMessages, "max-info-messages", projections.DefaultPageSize, "most messages in one conversationInfo or GET /api/conversations/{id} page")
	fs.Int64Var(&c.ReadModelCacheBytes, "read-model-cache-bytes", projections.DefaultCacheBytes, "memory the conversation read model may keep, in bytes")

	fs.StringVar(&c.GreetingsFile, "greetings-file", "", "JSON file of greetings by language tag, with {name}, over the shipped ones (en, de, fr, es, pt, ar, he)")
	fs.BoolVar(&c.SocketIOWebsocketOnly, "socketio-websocket-only", false, "Socket.IO without HTTP long-polling, for load balancers without sticky sessions")
	fs.DurationVar(&c.SocketIOPingInterval, "socketio-ping-interval", 25*time.Second, "how often Socket.IO clients are pinged")
	fs.DurationVar(&c.SocketIOPingTimeout, "socketio-ping-timeout", 20*time.Second, "how long a Socket.IO client has to answer a ping")

	fs.Int64Var(&c.MaxFrameBytes, "max-frame-bytes", 64<<10, "largest websocket frame accepted")
	fs.IntVar(&c.MaxTextLength, "max-text-length", domain.DefaultLimits.MaxTextLength, "longest message text, in characters")
	fs.IntVar(&c.MaxAttachments, "max-attachments", domain.DefaultLimits.MaxAttachments, "most attachments in one message")
	fs.IntVar(&c.MaxParticipants, "max-participants", domain.DefaultLimits.MaxParticipants, "most distinct participants in one conversation")
	fs.IntVar(&c.MaxSockets, "max-sockets-per-conversation", 64, "most connections joined to one conversation on one node")
	fs.Float64Var(&c.FramesPerSecond, "frames-per-second", 50, "websocket frames per second per connection (token bucket rate)")
	fs.IntVar(&c.FrameBurst, "frame-burst", 100, "websocket frames a connection may send at once (token bucket size)")
	fs.IntVar(&c.OutboundBuffer, "outbound-buffer", 1024, "frames that may wait for a slow reader before it is disconnected with 4000")
	fs.IntVar(&c.InitsPerMinute, "inits-per-minute", 30, "conversations one client IP may start per minute")
	fs.IntVar(&c.InitBurst, "init-burst", 10, "conversations one client IP may start at once (the size of its token bucket)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 64<<10, "largest REST request body")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time a client has to send request headers")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 30*time.Second, "time a client has to send a whole REST request")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	c.Mail.flags(fs)
	c.Routing.flags(fs)
	c.Webhooks.flags(fs)
	c.Ops.flags(fs)
	fs.StringVar(&c.PersonalDataSecret, "personal-data-secret", "", "file of the secret that keys customers' blind index (created with 32 random bytes when missing); every node of a cluster needs the same one (default: personal-data.secret in --data-dir)")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "loopback address to serve the Go profiler (net/http/pprof) on, e.g. 127.0.0.1:6060; empty for none")
}

func serve(ctx context.Context, args []string) error {
	var cfg ServeConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.flags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Logger: logger}
	if err := m.Run(ctx); err != nil {
		return err
	}
	stopDebug, err := startDebug(cfg.DebugAddr, logger)
	if err != nil {
		return errors.Join(err, m.Close())
	}
	defer stopDebug()
	<-ctx.Done()
	logger.Info("shutting down")
	return m.Close()
}

// Main is a running Parley server.
type Main struct {
	Config ServeConfig
	Logger *slog.Logger
	// Addr is the address it listens on, once Run returns.
	Addr string

	store    domain.EventStore
	verify   func(context.Context, string) (chain.Result, error) // the store's hash chain (ADR 40)
	hub      *ws.Hub
	sio      *socketio.Server
	server   *http.Server
	feedCtx  context.Context
	cancel   context.CancelFunc
	feedDone chan struct{}
	// transcripts runs the transcript projection and email worker, and
	// the webhooks: the tasks that stop with the live feed.
	transcripts sync.WaitGroup
	// routed runs the router.
	routed sync.WaitGroup
	ops    *ops
	// snapshots saves the connectors read model, so a start folds only the
	// history after its last snapshot; feedStatus says whether the feed runs.
	snapshots *projections.Snapshotter
	// routingSnaps saves the routing board beside it (ADR 29).
	routingSnaps *projections.Snapshotter
	feedStatus   projections.FeedStatus
	node         string
}

// Run opens the store, starts the live feed and starts serving; it returns
// once the server accepts connections.
func (m *Main) Run(ctx context.Context) error {
	creds, greet, err := m.checkServe()
	if err != nil {
		return err
	}
	sealed, err := m.openChainedStore(ctx)
	if err != nil {
		return err
	}
	if m.ops, err = m.newOps(ctx); err != nil {
		return errors.Join(err, sealed.Close())
	}
	store := m.ops.instrument(sealed)
	m.store = store
	if m.node, err = nodeID(m.Config.DataDir); err != nil {
		return errors.Join(err, store.Close())
	}
	space := m.spaceGuard()
	svc, err := conversations.New(conversations.Config{
		Store: store, Now: time.Now, NewID: uuid.NewString, Greeting: greet.Greeting,
		Limits: domain.Limits{MaxTextLength: m.Config.MaxTextLength, MaxAttachments: m.Config.MaxAttachments, MaxParticipants: m.Config.MaxParticipants},
	})
	if err != nil {
		return err
	}
	routed, err := newRouting(m.Config.Routing, store, svc, m)
	if err != nil {
		return errors.Join(err, store.Close())
	}
	origins := splitList(m.Config.AllowedOrigin)
	infos := projections.NewConversationInfos(store, m.Config.ReadModelCacheBytes)
	connectors := projections.NewConnectors()
	m.ops.metrics.ConnectorBacklog(connectors.Backlog)
	m.ops.metrics.Queues(routed.queues.Names(), routed.board.Queues)
	connectors.OnAck = m.ops.metrics.ConnectorAck
	m.hub = ws.New(m.hubConfig(creds, origins), svc, infos, connectors, store, uuid.NewString, m.Logger)
	routed.attach(m.hub)

	m.snapshots = m.connectorsSnapshotter(connectors)
	after := m.restoreConnectors(ctx, store, connectors, m.snapshots.File)
	m.routingSnaps = m.routingSnapshotter(routed.board)
	if err := routed.catchUp(ctx, store, m.restoreRouting(ctx, store, routed.board, m.routingSnaps.File), after); err != nil {
		return err
	}
	if err := m.startFeed(ctx, m.ops.metrics.Projection("feed", store), after, func(_ context.Context, e *projections.FeedEvent) error {
		infos.Apply(e)
		if err := routed.board.Consume(e); err != nil {
			return err
		}
		return connectors.Apply(e)
	}, m.hub.Deliver, m.ops.feed, m.snapshots.Handle, m.routingSnaps.Handle); err != nil {
		return err
	}
	m.startWorkers(routed, space)
	transcripts, err := m.startTranscripts(store)
	if err != nil {
		return err
	}
	if err := m.startOpsWebhooks(store); err != nil {
		return err
	}
	api := httpapi.New(httpapi.Config{
		MaxBodyBytes: m.Config.MaxBodyBytes, Credentials: creds, InitsPerMinute: m.Config.InitsPerMinute, InitBurst: m.Config.InitBurst,
		AllowedOrigins: origins, TrustProxy: m.Config.TrustProxy, Verify: m.verify,
		KnownChannel:    func(name string) bool { return httpapi.IsDefaultChannel(name) || connectors.Registered(name) },
		Directory:       connectors,
		Transcripts:     transcripts,
		LowSpace:        space.Low,
		FeedDown:        func() error { return errors.Join(m.feedStatus.Err(), routed.board.RestoreErr()) },
		MaxInfoMessages: m.Config.MaxInfoMessages,
		Routing:         routed.api(),
		Webhooks:        m.ops.webhooksAPI(),
		Metrics:         m.ops.mainMetrics(m.Config.Ops),
		OnError:         func(code domain.Code) { m.ops.metrics.Error("http", code) },
		Erase:           eraseWith(sealed),
	}, svc, infos, store, uuid.NewString, m.Logger, m.ops.wrapWebsocket(creds, m.hub))
	return m.listen(api)
}

// startFeed starts the feed that keeps read models and websocket rooms
// current: it replays the history into the consumers, then follows new
// events. It returns once the feed has caught up.
func (m *Main) startFeed(ctx context.Context, store domain.EventStore, after domain.After, consumers ...projections.FeedHandler) error {
	feedCtx, cancel := context.WithCancel(context.Background())
	m.feedCtx, m.cancel = feedCtx, cancel
	m.feedDone = make(chan struct{})
	live := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(m.feedDone)
		_ = projections.RunFeedStatus(feedCtx, store, after, m.Logger, &m.feedStatus, func() { once.Do(func() { close(live) }) }, consumers...)
	}()
	start := time.Now()
	select {
	case <-live:
		m.Logger.Info("read models caught up with the store", "after", after, "took", time.Since(start).Round(time.Millisecond))
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// credentials returns the configured authentication, refusing to start
// with authentication on and no secret.
func (m *Main) credentials() (domain.Credentials, error) {
	switch m.Config.Auth {
	case "off":
		m.Logger.Warn("AUTHENTICATION IS OFF: anyone can join any conversation as anyone. Use --auth=off for local development only.")
		return domain.OpenAccess{}, nil
	case "on":
	default:
		return nil, fmt.Errorf("--auth must be on or off, not %q", m.Config.Auth)
	}
	if m.Config.AuthSecret == "" {
		return nil, errors.New("authentication is on but no secret is set: set --auth-secret (PARLEY_AUTH_SECRET, at least 32 bytes), or run with --auth=off for local development")
	}
	keys := m.Config.APIKeys
	if m.Config.APIKeysFile != "" {
		more, err := auth.ReadKeysFile(m.Config.APIKeysFile)
		if err != nil {
			return nil, err
		}
		keys += "\n" + more
	}
	return auth.New(auth.Config{Secret: m.Config.AuthSecret, TokenTTL: m.Config.TokenTTL, APIKeys: keys})
}

// Close shuts down gracefully: it stops accepting connections, closes every
// websocket with 1001 once its in-flight command is done, then closes the
// store, which finishes its in-flight appends.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.sio != nil {
		// Long polls are requests in flight: they are answered with a
		// close packet, or Shutdown would wait for them.
		m.sio.Close()
	}
	if m.server != nil {
		errs = append(errs, m.server.Shutdown(ctx))
	}
	if m.hub != nil {
		errs = append(errs, m.hub.Close(ctx))
	}
	errs = append(errs, m.ops.close(ctx))
	if m.cancel != nil {
		m.cancel()
		<-m.feedDone
		m.transcripts.Wait()
		if m.snapshots != nil {
			m.snapshots.Flush()
		}
		if m.routingSnaps != nil {
			m.routingSnaps.Flush()
		}
		m.routed.Wait()
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	// Every record passes through logredact, so that no log line holds a
	// customer's email or phone number, whoever wrote it.
	switch format {
	case "text":
		return slog.New(logredact.New(slog.NewTextHandler(os.Stderr, opts))), nil
	case "json":
		return slog.New(logredact.New(slog.NewJSONHandler(os.Stderr, opts))), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}
