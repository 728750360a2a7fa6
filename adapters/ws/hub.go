// Package ws is Parley's websocket edge (melody): it turns client frames into
// commands, answers with acks and errors, and delivers stored messages to the
// sockets joined to each conversation.
package ws

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olahol/melody"
	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/projections"
)

// Close codes sent to clients. 4000-4499 mean "reconnect and resume with
// since"; 4500-4999 mean "do not reconnect as is".
const (
	CloseGoingAway  = 1001 // the server is shutting down: reconnect elsewhere or later
	CloseSlowReader = 4000 // the client did not keep up: reconnect and resume
)

// sendWindow is the most frames of one connection in melody's queue.
const sendWindow = 32

// Hub holds every websocket connection of this process and the rooms of the
// conversations they joined.
type Hub struct {
	cfg    Config
	svc    *conversations.Service
	infos  *projections.ConversationInfos
	store  domain.EventStore
	newID  func() string
	logger *slog.Logger
	m      *melody.Melody
	// connectors is the read model of channel connectors; connectorWake wakes the
	// dispatcher that sends them messages.
	connectors    *projections.Connectors
	connectorWake chan struct{}
	// stop ends the hub's goroutines.
	stop chan struct{}
	// runq hands a connection with frames to handle to an idle worker;
	// idleWorkers counts the workers waiting on it (until stop).
	runq        chan *client
	idleWorkers atomic.Int32
	// workerIdle is how long a worker waits for work before it ends.
	workerIdle time.Duration
	// sendWindow is how many frames of one connection may be in melody's
	// queue; the others wait in the client's backlog.
	sendWindow int

	mu                  sync.Mutex
	rooms               map[string]*room
	connectorsByChannel map[string][]*client // connector connections by channel
	disconnectsDue      sync.WaitGroup       // connections whose disconnect handling is not done
	// clients are the open connections, for Close to reach each one;
	// closing turns away connections that complete their upgrade after.
	clients map[*client]struct{}
	closing bool

	// origins checks a browser request's Origin.
	origins func(*http.Request) bool

	// owed holds the participantLeft events the store could not take when
	// their sockets closed (owed.go).
	owed owedLeaves
	// rt is the routing edge; nil when routing is off.
	rt *routingEdge
}

// New returns a Hub. store is used to fill gaps in live delivery and to read
// messages for connectors.
func New(cfg Config, svc *conversations.Service, infos *projections.ConversationInfos, connectors *projections.Connectors,
	store domain.EventStore, newID func() string, logger *slog.Logger) *Hub {
	cfg.setDefaults()
	h := &Hub{cfg: cfg, svc: svc, infos: infos, connectors: connectors, store: store, newID: newID, logger: logger,
		rooms: map[string]*room{}, connectorsByChannel: map[string][]*client{}, connectorWake: make(chan struct{}, 1), clients: map[*client]struct{}{}}
	connectors.OnWork = h.kick
	h.stop = make(chan struct{})
	h.owed.wake = make(chan struct{}, 1)
	go h.payOwed()
	h.runq = make(chan *client)
	h.workerIdle = defaultWorkerIdle
	m := melody.New()
	h.origins = originChecker(cfg.AllowedOrigins)
	m.Upgrader.CheckOrigin = h.origins
	m.Upgrader.Subprotocols = []string{browserProtocol}
	// Zero sizes make the websocket use the buffers handed over with the
	// connection (see serve) instead of allocating two more.
	m.Upgrader.ReadBufferSize, m.Upgrader.WriteBufferSize = 0, 0
	m.Config.MaxMessageSize = cfg.MaxFrameBytes
	// melody's queue is a fixed array per connection: a full-size one
	// (OutboundBuffer frames) would cost 8 KB for every idle socket, so it
	// holds sendWindow frames and each client keeps the rest in a backlog
	// that exists only while it is needed. Leave room beyond the window so a
	// close frame always fits.
	h.sendWindow = min(sendWindow, cfg.OutboundBuffer)
	m.Config.MessageBufferSize = h.sendWindow + 8
	m.HandleConnect(h.connect)
	m.HandleDisconnect(h.disconnect)
	// Frames are handled off the goroutine that reads the socket: see
	// receive.
	m.HandleMessage(func(s *melody.Session, raw []byte) { h.receive(clientOf(s), raw, false) })
	m.HandleMessageBinary(func(s *melody.Session, raw []byte) { h.receive(clientOf(s), raw, true) })
	m.HandleSentMessage(func(s *melody.Session, _ []byte) { clientOf(s).sent() })
	m.HandleError(func(s *melody.Session, err error) {
		if errors.Is(err, melody.ErrMessageBufferFull) {
			logger.Warn("websocket buffer overflow", "conn", clientOf(s).id)
		}
	})
	h.m = m
	return h
}

// ServeHTTP upgrades the request to a websocket connection and serves it
// until it closes, on a goroutine of its own once the upgrade is under way:
// it may return before the connection ends.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Credentials on the upgrade request bind the whole connection; without
	// them, a customer proves itself with the token in joinConversation.
	principal := domain.Principal{}
	header := r.Header.Get("Authorization")
	if key := protocolCredential(r); header == "" && key != "" {
		header = "Bearer " + key
	}
	if header != "" || h.open() {
		p, err := h.cfg.Credentials.Authenticate(domain.BearerCredential(header))
		if err != nil {
			writeHTTPError(w, http.StatusUnauthorized, err)
			return
		}
		principal = p
	}
	c := h.newClient(principal)
	h.serve(w, r, map[string]any{clientKey: c})
}

// newClient returns the state of a new connection proving principal, counted
// among the connections whose disconnect handling is not done.
func (h *Hub) newClient(principal domain.Principal) *client {
	h.disconnectsDue.Add(1)
	return &client{id: h.newID(), hub: h, principal: principal, joined: map[string]*member{},
		limiter: rate.NewLimiter(rate.Limit(h.cfg.FramesPerSecond), h.cfg.FrameBurst),
		inbox:   make(chan inbound, inboxSize)}
}

// goingAway is the close frame of a server shutdown.
var goingAway = melody.FormatCloseMessage(CloseGoingAway, "server shutting down")

// Close tells every client the server is going away (1001), then waits until
// each connection's leave is stored, or ctx ends.
func (h *Hub) Close(ctx context.Context) error {
	// Each session is closed on its own rather than with melody's
	// CloseWithMsg, which stops melody's hub: a connection that ends at that
	// moment then blocks in melody forever, its leave is never stored, and
	// Close waits until ctx ends.
	h.mu.Lock()
	h.closing = true
	clients := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.Unlock()
	for _, c := range clients {
		c.close(goingAway)
	}
	done := make(chan struct{})
	go func() { h.disconnectsDue.Wait(); close(done) }()
	defer close(h.stop)
	select {
	case <-done:
		h.payOwedBeforeClose(ctx)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// open reports whether authentication is off.
func (h *Hub) open() bool {
	_, ok := h.cfg.Credentials.(domain.OpenAccess)
	return ok
}

// Connections returns how many websocket connections are open.
func (h *Hub) Connections() int { return h.m.Len() }

func (h *Hub) connect(s *melody.Session) {
	c := clientOf(s)
	c.session = s
	h.logger.Debug("websocket connected", "conn", c.id, "remote", s.Request.RemoteAddr)
	h.register(c)
}

// register adds c, whose session is set, to the open connections, or closes
// it when the hub is closing.
func (h *Hub) register(c *client) {
	h.mu.Lock()
	closing := h.closing
	if !closing {
		h.clients[c] = struct{}{}
	}
	h.mu.Unlock()
	if closing {
		c.close(goingAway)
		return
	}
	h.routingConnect(c)
}

func (h *Hub) disconnect(s *melody.Session) { h.disconnectClient(clientOf(s)) }

// disconnectClient stores the leaves of a connection that closed.
func (h *Hub) disconnectClient(c *client) {
	defer h.disconnectsDue.Done()
	// Frames read before the socket closed are handled first, as they were
	// sent: a join still in the inbox would otherwise outlive the leaves.
	c.unhandled.Wait()
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	h.dropConnector(c)
	h.routingDisconnect(c)
	for _, m := range c.leaveAll() {
		h.leaveRoom(m)
		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CommandTimeout)
		meta := domain.Metadata{CorrelationID: h.newID(), Connection: c.id, Actor: m.actor}
		meta.CausationID = meta.CorrelationID
		h.storeLeave(ctx, m.conv, m.who, meta)
		cancel()
	}
	h.logger.Debug("websocket disconnected", "conn", c.id)
}
