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
	"time"

	"github.com/olahol/melody"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// Close codes sent to clients. 4000-4499 mean "reconnect and resume with
// since"; 4500-4999 mean "do not reconnect as is".
const (
	CloseGoingAway  = 1001 // the server is shutting down: reconnect elsewhere or later
	CloseSlowReader = 4000 // the client did not keep up: reconnect and resume
)

// Config tunes the websocket edge.
type Config struct {
	// StoreTyping stores typing activities instead of only relaying them.
	StoreTyping bool
	// MaxFrameBytes bounds one incoming frame.
	MaxFrameBytes int64
	// OutboundBuffer is how many frames may wait for a slow client before it
	// is disconnected with CloseSlowReader.
	OutboundBuffer int
	// CommandTimeout bounds the handling of one frame.
	CommandTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 64 << 10
	}
	if c.OutboundBuffer <= 0 {
		c.OutboundBuffer = 1024
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 10 * time.Second
	}
}

// Hub holds every websocket connection of this process and the rooms of the
// conversations they joined.
type Hub struct {
	cfg    Config
	svc    *domain.Service
	infos  *projections.ConversationInfos
	store  domain.EventStore
	newID  func() string
	logger *slog.Logger
	m      *melody.Melody

	mu    sync.Mutex
	rooms map[string]*room
	conns sync.WaitGroup // connections whose disconnect handling is not done
}

// New returns a Hub. store is used to fill gaps in live delivery.
func New(cfg Config, svc *domain.Service, infos *projections.ConversationInfos, store domain.EventStore, newID func() string, logger *slog.Logger) *Hub {
	cfg.setDefaults()
	h := &Hub{cfg: cfg, svc: svc, infos: infos, store: store, newID: newID, logger: logger, rooms: map[string]*room{}}
	m := melody.New()
	m.Config.MaxMessageSize = cfg.MaxFrameBytes
	// Leave melody room beyond our own bound, so a close frame always fits.
	m.Config.MessageBufferSize = cfg.OutboundBuffer + 8
	m.HandleConnect(h.connect)
	m.HandleDisconnect(h.disconnect)
	m.HandleMessage(h.message)
	m.HandleMessageBinary(func(s *melody.Session, _ []byte) {
		clientOf(s).send(errorFrame(nil, domain.Errorf(domain.CodeInvalid, "frames must be JSON text frames, not binary")))
	})
	m.HandleSentMessage(func(s *melody.Session, _ []byte) { clientOf(s).pending.Add(-1) })
	m.HandleError(func(s *melody.Session, err error) {
		if errors.Is(err, melody.ErrMessageBufferFull) {
			logger.Warn("websocket buffer overflow", "conn", clientOf(s).id)
		}
	})
	h.m = m
	return h
}

// ServeHTTP upgrades the request to a websocket connection and serves it
// until it closes.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.conns.Add(1)
	keys := map[string]any{clientKey: &client{id: h.newID(), hub: h, joined: map[string]*member{}}}
	if err := h.m.HandleRequestWithKeys(w, r, keys); err != nil {
		h.conns.Done()
		h.logger.Debug("websocket upgrade failed", "err", err)
	}
}

// Close tells every client the server is going away (1001), then waits until
// each connection's leave is stored, or ctx ends.
func (h *Hub) Close(ctx context.Context) error {
	_ = h.m.CloseWithMsg(melody.FormatCloseMessage(CloseGoingAway, "server shutting down"))
	done := make(chan struct{})
	go func() { h.conns.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Connections returns how many websocket connections are open.
func (h *Hub) Connections() int { return h.m.Len() }

func (h *Hub) connect(s *melody.Session) {
	c := clientOf(s)
	c.session = s
	h.logger.Debug("websocket connected", "conn", c.id, "remote", s.Request.RemoteAddr)
}

func (h *Hub) disconnect(s *melody.Session) {
	defer h.conns.Done()
	c := clientOf(s)
	for _, m := range c.leaveAll() {
		h.leaveRoom(m)
		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CommandTimeout)
		meta := domain.Metadata{CorrelationID: h.newID(), Connection: c.id}
		meta.CausationID = meta.CorrelationID
		_, err := h.svc.Execute(ctx, m.conv, domain.LeaveConversation{Participant: m.who}, meta)
		cancel()
		if err != nil && domain.ErrorCode(err) != domain.CodeEnded && domain.ErrorCode(err) != domain.CodeNotParticipant {
			h.logger.Error("store participantLeft", "conversation", m.conv, "err", err)
		}
	}
	h.logger.Debug("websocket disconnected", "conn", c.id)
}
