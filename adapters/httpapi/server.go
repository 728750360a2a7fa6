// Package httpapi is Parley's REST edge (echo): it turns requests into
// commands and queries and maps errors to status codes once.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/projections"
)

// Config tunes the REST edge.
type Config struct {
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// KnownChannel reports whether a channel may start conversations.
	KnownChannel func(name string) bool
	// Transcripts, when set, serves the transcript routes (transcripts.go).
	Transcripts *TranscriptConfig
	// Credentials checks bearer credentials and issues customer tokens; nil
	// means domain.OpenAccess (authentication off).
	Credentials domain.Credentials
	// InitsPerMinute and InitBurst bound the conversations one client IP
	// may start.
	InitsPerMinute int
	InitBurst      int
	// AllowedOrigins lists the origins browsers may call the API from
	// (CORS); "*" allows any, empty allows none but the server's own.
	AllowedOrigins []string
	// TrustProxy takes the client IP from X-Forwarded-For, for servers
	// behind a reverse proxy; otherwise the connection's address is used.
	TrustProxy bool
	// Directory finds customers' active conversations on channels, for
	// third-party sends.
	Directory conversations.ChannelDirectory
	// LowSpace, when set, returns an error while the store's disk is low
	// on space: new conversations are refused with it, and /readyz names
	// it as a warning while staying ready for running conversations.
	LowSpace func() error
	// FeedDown, when set, returns why the node's subscription to all
	// streams cannot run, or nil while it runs; /readyz fails with it.
	FeedDown func() error
	// MaxInfoMessages is the most messages GET /api/conversations/{id}
	// answers at once (projections.DefaultPageSize when 0).
	MaxInfoMessages int
	// Routing, when set, queues new conversations and serves the staff's
	// view of conversations, queues and agents.
	Routing *RoutingConfig
	// Webhooks, when set, serves the webhook routes (ops.go).
	Webhooks Webhooks
	// Metrics, when set, serves GET /metrics to staff.
	Metrics http.Handler
	// OnError, when set, is told the code of every error answered.
	OnError func(domain.Code)
	// Erase, when set, erases a customer's personal data (erasure.go).
	Erase func(ctx context.Context, customerID string) error
	// Verify, when set, checks the hash chain of a stream on its stored
	// bytes, for GET /api/conversations/{id}/verify (verify.go).
	Verify func(ctx context.Context, stream string) (chain.Result, error)
}

// Server holds the REST routes.
type Server struct {
	cfg    Config
	svc    *conversations.Service
	infos  *projections.ConversationInfos
	store  domain.EventStore
	newID  func() string
	logger *slog.Logger
	echo   *echo.Echo
	inits  *ipLimiter
}

// DefaultChannels are the channels the document lists; connectors add more.
var DefaultChannels = []string{"web", "fb", "sms", "twitter"}

// IsDefaultChannel reports whether name is one of DefaultChannels.
func IsDefaultChannel(name string) bool {
	for _, c := range DefaultChannels {
		if c == name {
			return true
		}
	}
	return false
}

// New returns the REST server; websocket, when set, serves GET /ws.
func New(cfg Config, svc *conversations.Service, infos *projections.ConversationInfos, store domain.EventStore, newID func() string, logger *slog.Logger, websocket http.Handler) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.KnownChannel == nil {
		cfg.KnownChannel = IsDefaultChannel
	}
	if cfg.Credentials == nil {
		cfg.Credentials = domain.OpenAccess{}
	}
	if cfg.InitsPerMinute <= 0 {
		cfg.InitsPerMinute = 30
	}
	if cfg.InitBurst <= 0 {
		cfg.InitBurst = 10
	}
	if cfg.MaxInfoMessages <= 0 {
		cfg.MaxInfoMessages = projections.DefaultPageSize
	}
	s := &Server{cfg: cfg, svc: svc, infos: infos, store: store, newID: newID, logger: logger,
		inits: newIPLimiter(cfg.InitsPerMinute, cfg.InitBurst)}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	// Panics are logged through our logger, which masks personal data,
	// rather than through echo's own.
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.logger.Error("panic while serving a request", "method", domain.Clip(c.Request().Method), "path", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(s.logRequests)
	if len(cfg.AllowedOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins: cfg.AllowedOrigins,
			AllowHeaders: []string{echo.HeaderContentType, echo.HeaderAuthorization, echo.HeaderXRequestID},
		}))
	}

	api := e.Group("/api", checkPathIDs, middleware.BodyLimit(byteSize(cfg.MaxBodyBytes)), s.authenticate)
	api.POST("/customer/init", s.initConversation, s.limitInits)
	api.GET("/conversations/:id", s.getConversation)
	api.GET("/conversations/:id/events", s.getEvents)
	if cfg.Verify != nil {
		api.GET("/conversations/:id/verify", s.verifyConversation)
	}
	api.GET("/me", s.getMe)
	s.routeTranscripts(api)
	api.POST("/channels/:channel/messages", s.sendToCustomer)
	api.GET("/conversations/:id/messages/:message/delivery", s.getDelivery)
	s.routeRouting(api)
	s.routeOps(e, api)
	s.routeErasure(api)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if websocket != nil {
		e.GET("/ws", echo.WrapHandler(websocket))
	}
	s.echo = e
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		// The store's own words say why (a full disk, a failed sync that
		// needs a restart) when it has them.
		return &domain.Error{Code: domain.CodeUnavailable, Message: "the event store is not ready: " + domain.ErrorMessage(err), Err: err}
	}
	if s.cfg.FeedDown != nil {
		if err := s.cfg.FeedDown(); err != nil {
			return &domain.Error{Code: domain.CodeUnavailable,
				Message: "the node's live feed (its subscription to all streams) cannot run: " + domain.Clip(err.Error()), Err: err}
		}
	}
	body := map[string]string{"status": "ready"}
	if err := s.lowSpace(); err != nil {
		body["warning"] = domain.ErrorMessage(err)
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) lowSpace() error {
	if s.cfg.LowSpace == nil {
		return nil
	}
	return s.cfg.LowSpace()
}

func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if c.Path() != "/ws" {
			s.logger.Debug("http", "method", domain.Clip(c.Request().Method), "path", c.Path(), "status", c.Response().Status, "duration", time.Since(start))
		}
		return err
	}
}

// byteSize renders n for echo's BodyLimit, which takes "64K" style sizes.
func byteSize(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + "M"
	}
	if n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + "K"
	}
	return strconv.FormatInt(n, 10) + "B"
}
