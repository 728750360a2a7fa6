package ws

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// A websocket is served on a goroutine of its own rather than on the HTTP
// server's: melody reads the socket on the goroutine that calls it, for as
// long as the connection is open, and the HTTP server's goroutine carries
// what it needed for the request (a stack grown through the router and
// middleware, its 4 KB read and write buffers, a 2 KB response buffer)
// that a websocket does not. The hub takes the connection over, lets the
// HTTP server's goroutine end, and has melody upgrade the taken connection.

// Buffer sizes of a taken-over websocket connection: melody's defaults, big
// enough for the usual frame in one read and one write.
const (
	handoffReadBuffer  = 1024
	handoffWriteBuffer = 1024 + 14 // payload and the largest server frame header
)

// serve hands an upgrade request to melody on a goroutine of its own, or on
// this one when the connection cannot be taken over.
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, keys map[string]any) {
	if !isUpgrade(r) {
		// melody refuses it, through the HTTP server.
		h.upgrade(w, r, keys)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		h.upgrade(w, r, keys)
		return
	}
	if rw.Reader.Buffered() > 0 {
		// The client sent frames before the handshake's answer, which the
		// websocket library refuses; the buffered bytes would be lost here.
		conn.Close()
		h.disconnectsDue.Done()
		h.logger.Debug("websocket upgrade failed", "err", "client sent data before the handshake completed")
		return
	}
	// melody writes to a connection that gathers the frames queued behind
	// each other (batchConn, outbound.go).
	bc := &batchConn{Conn: conn}
	if c, ok := keys[clientKey].(*client); ok {
		c.batch = bc
	}
	conn = bc
	// The request's context ends when this handler returns.
	r = r.WithContext(context.WithoutCancel(r.Context()))
	// Headers set by middleware go into the handshake's answer, as they
	// would through the HTTP server.
	resp := &upgradeResponse{conn: conn, header: w.Header().Clone(),
		rw: bufio.NewReadWriter(bufio.NewReaderSize(conn, handoffReadBuffer), bufio.NewWriterSize(conn, handoffWriteBuffer))}
	go func() {
		defer func() {
			if v := recover(); v != nil {
				h.logger.Error("panic while serving a websocket", "panic", v, "stack", string(debug.Stack()))
				conn.Close()
			}
		}()
		if !h.upgrade(resp, r, keys) {
			resp.refuse()
		}
	}()
}

// upgrade has melody upgrade and serve the connection until it closes; it
// reports whether the upgrade succeeded.
func (h *Hub) upgrade(w http.ResponseWriter, r *http.Request, keys map[string]any) bool {
	if err := h.m.HandleRequestWithKeys(w, r, keys); err != nil {
		h.disconnectsDue.Done()
		h.logger.Debug("websocket upgrade failed", "err", err)
		return false
	}
	return true
}

// isUpgrade reports whether r asks for a websocket (RFC 6455, section 4.1).
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

// headerHasToken reports whether a comma-separated header holds token,
// ignoring case.
func headerHasToken(header http.Header, name, token string) bool {
	for _, v := range header.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// upgradeResponse is the ResponseWriter of a connection taken over from the
// HTTP server: Hijack hands it to the websocket library, and a refusal the
// library writes instead is sent as a complete HTTP response before the
// connection closes.
type upgradeResponse struct {
	conn     net.Conn
	rw       *bufio.ReadWriter
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

// Header returns the response's header.
func (w *upgradeResponse) Header() http.Header { return w.header }

// WriteHeader records the status of a refusal.
func (w *upgradeResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// Write records the body of a refusal.
func (w *upgradeResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Hijack returns the connection, once.
func (w *upgradeResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	return w.conn, w.rw, nil
}

// refuse sends the refusal written, if any, and closes the connection.
func (w *upgradeResponse) refuse() {
	defer w.conn.Close()
	if w.hijacked || w.status == 0 {
		return // the library closed it, or wrote nothing
	}
	w.header.Set("Content-Length", strconv.Itoa(w.body.Len()))
	w.header.Set("Connection", "close")
	_ = w.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	b := bufio.NewWriter(w.conn)
	fmt.Fprintf(b, "HTTP/1.1 %03d %s\r\n", w.status, http.StatusText(w.status))
	_ = w.header.Write(b)
	b.WriteString("\r\n")
	b.Write(w.body.Bytes())
	_ = b.Flush()
}
