package ws

import (
	"encoding/binary"
	"net/http"

	"github.com/parley-chat/parley/domain"
)

// sink is where a connection's outgoing frames go: a melody session, or a
// connection of another transport (Conn).
type sink interface {
	Write(frame []byte) error
	CloseWithMsg(msg []byte) error
	IsClosed() bool
}

// Conn is the writing side of a connection of another transport (Socket.IO)
// that the hub serves as it serves its own websockets: the same frames, the
// same handlers, the same limits. Frames are the JSON websocket's frames in
// both directions; the transport translates them to its own packets.
type Conn interface {
	// Write queues one outgoing frame. The transport calls Peer.Sent once
	// the frame is written to the client, which is how a slow reader is
	// noticed; it returns an error once the connection is closed.
	Write(frame []byte) error
	// CloseWithMsg closes the connection after the frames queued before
	// it. msg is a websocket close frame: see CloseCode.
	CloseWithMsg(msg []byte) error
	// IsClosed reports whether the connection is closed.
	IsClosed() bool
}

// Peer is the hub's side of a connection of another transport.
type Peer struct{ c *client }

// Attach serves conn, whose client proved principal, as a connection of
// this hub. The transport must call Closed exactly once when it ends.
func (h *Hub) Attach(conn Conn, principal domain.Principal) *Peer {
	c := h.newClient(principal)
	c.session = conn
	h.register(c)
	return &Peer{c: c}
}

// ID returns the connection's id, stored as the connection of the events
// it causes.
func (p *Peer) ID() string { return p.c.id }

// Receive handles one client frame, in order with the others, blocking
// while the connection has the most frames waiting to be handled: that
// slows the client down, as it does on the JSON websocket.
func (p *Peer) Receive(frame []byte) { p.c.hub.receive(p.c, frame, false) }

// ReceiveBinary refuses one binary message, as the JSON websocket does.
func (p *Peer) ReceiveBinary() { p.c.hub.receive(p.c, nil, true) }

// Sent records that one frame given to Conn.Write was written.
func (p *Peer) Sent() { p.c.sent() }

// Closed ends the connection: its frames still waiting are handled, then
// its leaves are stored. It blocks until that is done.
func (p *Peer) Closed() { p.c.hub.disconnectClient(p.c) }

// Authenticate returns the principal a credential proves, with the hub's
// credentials.
func (h *Hub) Authenticate(credential string) (domain.Principal, error) {
	return h.cfg.Credentials.Authenticate(credential)
}

// AuthenticationOff reports whether the hub runs with authentication off.
func (h *Hub) AuthenticationOff() bool { return h.open() }

// MaxFrameBytes is the largest client frame the hub accepts.
func (h *Hub) MaxFrameBytes() int64 { return h.cfg.MaxFrameBytes }

// OriginAllowed reports whether a browser request's Origin may connect, by
// the rules of the websocket upgrade.
func (h *Hub) OriginAllowed(r *http.Request) bool { return h.origins(r) }

// CloseCode returns the status code of a close frame given to
// Conn.CloseWithMsg, or 1005 (no status) when it holds none.
func CloseCode(msg []byte) int {
	if len(msg) < 2 {
		return 1005
	}
	return int(binary.BigEndian.Uint16(msg))
}
