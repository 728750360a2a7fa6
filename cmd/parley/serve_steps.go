package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/parley-chat/parley/adapters/diskspace"
	"github.com/parley-chat/parley/adapters/greetings"
	"github.com/parley-chat/parley/adapters/socketio"
	"github.com/parley-chat/parley/adapters/ws"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/web"
)

// checkServe checks the flags that Run cannot start without, before it
// opens anything, and returns the credentials and greetings they name.
func (m *Main) checkServe() (domain.Credentials, *greetings.Templates, error) {
	creds, err := m.credentials()
	if err != nil {
		return nil, nil, err
	}
	if err := m.checkWebhooks(); err != nil {
		return nil, nil, err
	}
	if m.Config.MaxInfoMessages < 1 {
		return nil, nil, fmt.Errorf("--max-info-messages must be at least 1, not %d", m.Config.MaxInfoMessages)
	}
	if m.Config.ReadModelCacheBytes < 1 {
		return nil, nil, fmt.Errorf("--read-model-cache-bytes must be at least 1, not %d", m.Config.ReadModelCacheBytes)
	}
	greet := greetings.Default()
	if m.Config.GreetingsFile != "" {
		if greet, err = greetings.Load(m.Config.GreetingsFile); err != nil {
			return nil, nil, err
		}
	}
	return creds, greet, nil
}

// hubConfig is the websocket edge's configuration from the flags.
func (m *Main) hubConfig(creds domain.Credentials, origins []string) ws.Config {
	return ws.Config{
		StoreTyping: m.Config.StoreTyping, MaxFrameBytes: m.Config.MaxFrameBytes, OutboundBuffer: m.Config.OutboundBuffer,
		Credentials: creds, FramesPerSecond: m.Config.FramesPerSecond, FrameBurst: m.Config.FrameBurst,
		MaxSocketsPerConversation: m.Config.MaxSockets, AllowedOrigins: origins,
		AckTimeout: m.Config.AckTimeout, ConnectorWindow: m.Config.ConnectorWindow,
		ClaimTimeout: m.Config.ClaimTimeout, Node: m.node,
		MaxInfoMessages:  m.Config.MaxInfoMessages,
		OnCommand:        m.ops.onCommand,
		OnMessageWritten: m.ops.metrics.MessageWritten,
	}
}

// startWorkers starts what runs beside the feed until it stops: the
// router, the connector dispatcher and the free-space watch.
func (m *Main) startWorkers(routed *routingParts, space *diskspace.Guard) {
	m.routed.Add(1)
	go func() { defer m.routed.Done(); routed.router.Run(m.feedCtx) }()
	go m.hub.Dispatch(m.feedCtx)
	go space.Watch(m.feedCtx)
}

// listen serves the metrics, then api, Socket.IO and the web front ends on
// --addr, in the background once the port is bound.
func (m *Main) listen(api http.Handler) error {
	if err := m.ops.serveMetrics(m.Config.Ops.MetricsAddr, m.Logger); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.Addr = ln.Addr().String()
	m.sio = socketio.New(socketioHub{m.hub}, socketio.Config{WebsocketOnly: m.Config.SocketIOWebsocketOnly,
		PingInterval: m.Config.SocketIOPingInterval, PingTimeout: m.Config.SocketIOPingTimeout}, m.Logger)
	m.server = &http.Server{
		Handler:           web.New(web.Config{AuthOff: m.Config.Auth == "off"}, withSocketIO(m.ops.traceHTTP(api), m.sio)),
		ReadHeaderTimeout: m.Config.ReadHeaderTimeout,
		ReadTimeout:       m.Config.ReadTimeout,
		IdleTimeout:       m.Config.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := m.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	m.Logger.Info("parley is serving", "addr", "http://"+m.Addr, "store", storeName(m.Config), "auth", m.Config.Auth, "node", m.node)
	return nil
}

// withSocketIO serves Socket.IO at its own path beside the API.
func withSocketIO(api, sio http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, socketio.Path) {
			sio.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// socketioHub serves Socket.IO connections with the JSON websocket's hub.
type socketioHub struct{ *ws.Hub }

// Attach implements socketio.Hub.
func (h socketioHub) Attach(conn socketio.Conn, principal domain.Principal) socketio.Peer {
	return h.Hub.Attach(conn, principal)
}

// spaceGuard watches the free space under the embedded store's data
// directory; nil (no checks) on EventStoreDB.
func (m *Main) spaceGuard() *diskspace.Guard {
	if !isEmbedded(m.Config) {
		return nil
	}
	return diskspace.New(m.Config.DataDir, uint64(m.Config.MinFreeSpace), m.Logger)
}
