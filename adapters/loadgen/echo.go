package loadgen

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// EchoServer is the ceiling Parley is compared with: a websocket server
// with no Parley logic, that does only what any chat server must. Each
// socket joins the room named by its URL's room parameter; each frame it
// sends is acknowledged to it (the frame's data and ack echoed back) and
// relayed to the room's other sockets as messageArrived, through one
// writer goroutine and bounded queue per socket, as melody does. POST
// /api/customer/init answers a fixed conversation, for the init scenario's
// ceiling. Nothing is stored.
type EchoServer struct {
	upgrader websocket.Upgrader

	mu    sync.Mutex
	rooms map[string]map[*echoConn]struct{}
}

// echoQueue is how many frames may wait for a socket: Parley's default
// outbound buffer.
const echoQueue = 1024

type echoConn struct {
	ws   *websocket.Conn
	out  chan []byte
	quit chan struct{}
	once sync.Once
}

// NewEchoServer returns an echo server with no sockets.
func NewEchoServer() *EchoServer {
	return &EchoServer{
		upgrader: websocket.Upgrader{ReadBufferSize: 2048, WriteBufferSize: 2048, WriteBufferPool: &sync.Pool{}},
		rooms:    map[string]map[*echoConn]struct{}{},
	}
}

var echoInitAnswer = []byte(`{"conversationId":"00000000-0000-4000-8000-000000000000","participant":{"id":"00000000-0000-4000-8000-000000000001","name":"Bench"},"timestamp":"2026-01-01T00:00:00.000Z"}`)

// ServeHTTP serves /ws and /api/customer/init.
func (e *EchoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/api/customer/init" {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(echoInitAnswer)
		return
	}
	if r.URL.Path != "/ws" {
		http.NotFound(w, r)
		return
	}
	ws, err := e.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &echoConn{ws: ws, out: make(chan []byte, echoQueue), quit: make(chan struct{})}
	room := r.URL.Query().Get("room")
	e.mu.Lock()
	members := e.rooms[room]
	if members == nil {
		members = map[*echoConn]struct{}{}
		e.rooms[room] = members
	}
	members[c] = struct{}{}
	e.mu.Unlock()
	go c.writePump()
	e.readPump(c, room)
	e.mu.Lock()
	delete(members, c)
	if len(members) == 0 {
		delete(e.rooms, room)
	}
	e.mu.Unlock()
	c.stop()
}

func (e *EchoServer) readPump(c *echoConn, room string) {
	var peers []*echoConn
	for {
		_, raw, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		ack, data, ok := splitSend(raw)
		if !ok {
			continue
		}
		acked := make([]byte, 0, len(raw)+32)
		acked = append(acked, `{"event":"ack","data":`...)
		acked = append(acked, data...)
		acked = append(acked, `,"ack":`...)
		acked = append(acked, ack...)
		acked = append(acked, '}')
		c.send(acked)

		arrived := make([]byte, 0, len(data)+32)
		arrived = append(arrived, `{"event":"messageArrived","data":`...)
		arrived = append(arrived, data...)
		arrived = append(arrived, '}')
		peers = peers[:0]
		e.mu.Lock()
		for p := range e.rooms[room] {
			if p != c {
				peers = append(peers, p)
			}
		}
		e.mu.Unlock()
		for _, p := range peers {
			p.send(arrived)
		}
	}
}

// splitSend cuts a load generator frame, {"event":...,"ack":N,"data":{...}},
// into its ack and data.
func splitSend(raw []byte) (ack, data []byte, ok bool) {
	i := bytes.Index(raw, ackKey)
	j := bytes.Index(raw, []byte(`,"data":`))
	if i < 0 || j < i || len(raw) == 0 || raw[len(raw)-1] != '}' {
		return nil, nil, false
	}
	return raw[i+len(ackKey) : j], raw[j+len(`,"data":`) : len(raw)-1], true
}

// send queues a frame; a socket whose queue is full is closed, as Parley
// closes a slow reader.
func (c *echoConn) send(b []byte) {
	select {
	case <-c.quit:
	case c.out <- b:
	default:
		c.stop()
	}
}

func (c *echoConn) stop() {
	c.once.Do(func() {
		close(c.quit)
		_ = c.ws.Close()
	})
}

func (c *echoConn) writePump() {
	for {
		select {
		case <-c.quit:
			return
		case b := <-c.out:
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.stop()
				return
			}
		}
	}
}
