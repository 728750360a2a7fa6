// Package socketio serves the websocket edge over Socket.IO v4 (Engine.IO
// protocol 4, Socket.IO protocol 5, default namespace), at /socket.io/, with
// HTTP long-polling and the upgrade to a websocket. It holds no chat rules
// of its own: each Socket.IO event is turned into the JSON websocket's frame
// and handled by the hub (Hub: the JSON websocket's ws.Hub), and each frame the hub sends is turned back into a
// Socket.IO event, ack or error.
package socketio

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parley-chat/parley/domain"
)

// Path is where the server is mounted, as socket.io-client expects it.
const Path = "/socket.io/"

// Config tunes the Socket.IO edge.
type Config struct {
	// PingInterval and PingTimeout are Engine.IO's heartbeat: a client that
	// does not answer a ping within PingTimeout is disconnected.
	PingInterval, PingTimeout time.Duration
	// WebsocketOnly turns HTTP long-polling off, for deployments whose load
	// balancer cannot keep a client's requests on one node (no sticky
	// sessions). Clients then connect with transports: ["websocket"].
	WebsocketOnly bool
}

// Server is the Socket.IO edge of one hub.
type Server struct {
	hub    Hub
	cfg    Config
	logger *slog.Logger
	// maxPayload bounds one polling request body and one websocket
	// message: the hub's frame limit, plus room for the packet's framing.
	maxPayload int64
	upgrader   websocket.Upgrader

	mu       sync.Mutex
	sessions map[string]*session
}

// packetOverhead is the most bytes a Socket.IO event packet adds around the
// frame data it carries: packet types, an ack id, the event name.
const packetOverhead = 256

// New returns the Socket.IO edge of hub.
func New(hub Hub, cfg Config, logger *slog.Logger) *Server {
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 20 * time.Second
	}
	s := &Server{hub: hub, cfg: cfg, logger: logger, sessions: map[string]*session{},
		maxPayload: hub.MaxFrameBytes() + packetOverhead}
	s.upgrader.CheckOrigin = hub.OriginAllowed
	// Zero sizes reuse the server's buffers handed over with the
	// connection for reading; the write buffer is taken from the pool for
	// each write only: an idle socket then holds neither.
	s.upgrader.ReadBufferSize, s.upgrader.WriteBufferSize = 0, 0
	s.upgrader.WriteBufferPool = &sync.Pool{}
	return s
}

// Sessions returns how many Engine.IO sessions are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close tells every client the server is going away: each session closes
// once its queued packets are written, and the clients reconnect
// elsewhere or later.
func (s *Server) Close() {
	s.mu.Lock()
	all := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	for _, sess := range all {
		_ = sess.CloseWithMsg(nil)
	}
}

// ServeHTTP serves the Engine.IO requests of every transport.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hub.OriginAllowed(r) {
		refuse(w, http.StatusForbidden, domain.CodeForbidden, "this origin may not connect")
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		// Polling requests are cross-origin XHRs with credentials.
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q := r.URL.Query()
	if q.Get("EIO") != "4" {
		refuse(w, http.StatusBadRequest, domain.CodeInvalid, "unsupported Engine.IO version: this server speaks EIO=4 (socket.io-client 4.x)")
		return
	}
	sid := q.Get("sid")
	switch q.Get("transport") {
	case "polling":
		if s.cfg.WebsocketOnly {
			refuse(w, http.StatusBadRequest, domain.CodeInvalid, `long-polling is off on this server: connect with transports: ["websocket"]`)
			return
		}
		if sid == "" {
			s.handshake(w, r)
			return
		}
		if sess := s.session(sid); sess != nil {
			sess.servePolling(w, r)
			return
		}
		refuse(w, http.StatusBadRequest, domain.CodeInvalid, "unknown session id: connect again")
	case "websocket":
		s.serveWebsocket(w, r, sid)
	default:
		refuse(w, http.StatusBadRequest, domain.CodeInvalid, "transport must be polling or websocket")
	}
}

// handshake opens a session over long-polling.
func (s *Server) handshake(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		refuse(w, http.StatusBadRequest, domain.CodeInvalid, "a session is opened with GET")
		return
	}
	sess := s.open(r)
	writePayload(w, [][]byte{s.openPacket(sess.id, true)})
}

// serveWebsocket opens a session over a websocket, or upgrades the
// long-polling session sid to one.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request, sid string) {
	var sess *session
	if sid != "" {
		if sess = s.session(sid); sess == nil || !sess.canUpgrade() {
			refuse(w, http.StatusBadRequest, domain.CodeInvalid, "unknown session id or one upgraded already: connect again")
			return
		}
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	conn.SetReadLimit(s.maxPayload)
	if sess != nil {
		go sess.probe(conn)
		return
	}
	sess = s.open(r)
	sess.useWebsocket(conn, s.openPacket(sess.id, false))
}

// open starts a session for the client of r.
func (s *Server) open(r *http.Request) *session {
	sess := newSession(s, newSID(), domain.BearerCredential(r.Header.Get("Authorization")))
	s.mu.Lock()
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	return sess
}

func (s *Server) session(sid string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[sid]
}

func (s *Server) forget(sid string) {
	s.mu.Lock()
	delete(s.sessions, sid)
	s.mu.Unlock()
}

// openPacket is Engine.IO's open packet.
func (s *Server) openPacket(sid string, upgrades bool) []byte {
	up := []string{}
	if upgrades {
		up = []string{"websocket"}
	}
	b, _ := json.Marshal(map[string]any{"sid": sid, "upgrades": up,
		"pingInterval": s.cfg.PingInterval.Milliseconds(), "pingTimeout": s.cfg.PingTimeout.Milliseconds(),
		"maxPayload": s.maxPayload})
	return append([]byte{pOpen}, b...)
}

// newSID returns a session id no client can guess.
func newSID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// refuse answers a request with Parley's error body.
func refuse(w http.ResponseWriter, status int, code domain.Code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": string(code), "message": message})
}

// writePayload answers a poll with packets, separated as Engine.IO 4 does.
func writePayload(w http.ResponseWriter, packets [][]byte) {
	n := 0
	for _, p := range packets {
		n += len(p) + 1
	}
	body := make([]byte, 0, n)
	for i, p := range packets {
		if i > 0 {
			body = append(body, recordSeparator)
		}
		body = append(body, p...)
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
