package socketio

import (
	"net/http"

	"github.com/parley-chat/parley/domain"
)

// Hub is the edge that handles the chat: the JSON websocket's hub (ws.Hub,
// wired in cmd), whose frames Socket.IO carries. Its frames are JSON objects
// {"event", "data", "ack"}, in both directions.
type Hub interface {
	// Attach serves conn, whose client proved principal, as one of the
	// hub's connections.
	Attach(conn Conn, principal domain.Principal) Peer
	// Authenticate returns the principal a credential proves.
	Authenticate(credential string) (domain.Principal, error)
	// AuthenticationOff reports whether authentication is off.
	AuthenticationOff() bool
	// MaxFrameBytes is the largest client frame the hub accepts.
	MaxFrameBytes() int64
	// OriginAllowed reports whether a browser request's Origin may connect.
	OriginAllowed(r *http.Request) bool
}

// Conn is a Socket.IO connection as the hub writes to it (ws.Conn).
type Conn interface {
	// Write queues one outgoing frame; it errs once the connection is closed.
	Write(frame []byte) error
	// CloseWithMsg closes the connection after the frames queued before it;
	// msg is a websocket close frame.
	CloseWithMsg(msg []byte) error
	// IsClosed reports whether the connection is closed.
	IsClosed() bool
}

// Peer is the hub's side of a connection (ws.Peer).
type Peer interface {
	// ID is the connection's id.
	ID() string
	// Receive handles one client frame, in order.
	Receive(frame []byte)
	// ReceiveBinary refuses one binary message.
	ReceiveBinary()
	// Sent records that one frame given to Conn.Write was written.
	Sent()
	// Closed ends the connection; it blocks until its leaves are stored.
	Closed()
}

// Frame events the hub answers with.
const (
	eventAck   = "ack"
	eventError = "error"
)
