package socketio

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parley-chat/parley/domain"
)

// Engine.IO packet types.
const (
	pOpen    = '0'
	pClose   = '1'
	pPing    = '2'
	pPong    = '3'
	pMessage = '4'
	pUpgrade = '5'
	pNoop    = '6'
)

// recordSeparator separates the packets of one polling payload.
const recordSeparator = 0x1e

// errClosed is what writing to a closed session returns.
var errClosed = errors.New("socketio: session closed")

// item is one packet waiting to be written; frame is set when it carries a
// frame of the hub, which is told once it is written.
type item struct {
	data  []byte
	frame bool
}

// session is one Engine.IO connection: a queue of packets to write, over
// long-polling until the client upgrades it to a websocket. It is the
// hub's Conn once the client connected to the namespace.
type session struct {
	srv *Server
	id  string
	// bearer is the credential of the Authorization header of the request
	// that opened the session.
	bearer string
	wake   chan struct{}
	done   chan struct{}
	// posts orders the packets of concurrent polling requests.
	posts sync.Mutex

	mu      sync.Mutex
	queue   []item
	polling bool // a poll is waiting for packets
	// conn is the websocket once the session uses one; upgrading is set
	// while the client probes it.
	conn      *websocket.Conn
	upgrading bool
	// closing is set once the hub asked to close after the queued frames.
	closing bool
	closed  bool
	peer    Peer
	// awaitingPong is set from a ping until its pong; timer drives both.
	awaitingPong bool
	timer        *time.Timer
}

func newSession(srv *Server, id, bearer string) *session {
	s := &session{srv: srv, id: id, bearer: bearer, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.timer = time.AfterFunc(srv.cfg.PingInterval, s.heartbeat)
	return s
}

// push queues a packet and wakes the writer.
func (s *session) push(data []byte, frame bool) error {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return errClosed
	}
	s.queue = append(s.queue, item{data: data, frame: frame})
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns the queued packets, and whether the session should close
// once they are written.
func (s *session) take() ([]item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q, s.closing
}

// written tells the hub how many of its frames were written.
func (s *session) written(items []item) {
	s.mu.Lock()
	peer := s.peer
	s.mu.Unlock()
	if peer == nil {
		return
	}
	for _, it := range items {
		if it.frame {
			peer.Sent()
		}
	}
}

// heartbeat sends a ping, or closes a session whose last ping went
// unanswered.
func (s *session) heartbeat() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.awaitingPong {
		s.mu.Unlock()
		s.close()
		return
	}
	s.awaitingPong = true
	s.queue = append(s.queue, item{data: []byte{pPing}})
	s.timer.Reset(s.srv.cfg.PingTimeout)
	s.mu.Unlock()
	s.signal()
}

func (s *session) pong() {
	s.mu.Lock()
	if s.awaitingPong && !s.closed {
		s.awaitingPong = false
		s.timer.Reset(s.srv.cfg.PingInterval)
	}
	s.mu.Unlock()
}

// close ends the session at once; the hub then stores its leaves.
func (s *session) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.timer.Stop()
	conn, peer := s.conn, s.peer
	s.mu.Unlock()
	close(s.done)
	s.srv.forget(s.id)
	if conn != nil {
		_ = conn.Close()
	}
	if peer != nil {
		// Closed waits for the frames still being handled, which may be
		// waiting for this session's lock.
		go peer.Closed()
	}
}

// servePolling serves one polling request: GET waits for packets, POST
// brings the client's.
func (s *session) servePolling(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.poll(w, r)
	case http.MethodPost:
		s.post(w, r)
	default:
		refuse(w, http.StatusMethodNotAllowed, domain.CodeInvalid, "polling uses GET and POST")
	}
}

func (s *session) poll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.polling || s.conn != nil && !s.upgrading {
		s.mu.Unlock()
		refuse(w, http.StatusBadRequest, domain.CodeInvalid, "a poll is under way already, or the session uses a websocket")
		s.close()
		return
	}
	s.polling = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling = false
		s.mu.Unlock()
	}()
	for {
		items, closing := s.take()
		select {
		case <-s.done:
			writePayload(w, [][]byte{{pClose}})
			return
		default:
		}
		if len(items) > 0 || closing {
			packets := make([][]byte, 0, len(items)+1)
			for _, it := range items {
				packets = append(packets, it.data)
			}
			if closing {
				packets = append(packets, []byte{pClose})
			}
			writePayload(w, packets)
			s.written(items)
			if closing {
				s.close()
			}
			return
		}
		select {
		case <-s.wake:
		case <-s.done:
		case <-r.Context().Done():
			return // the heartbeat closes a client that is gone
		}
	}
}

func (s *session) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.srv.maxPayload+1))
	if err != nil {
		refuse(w, http.StatusBadRequest, domain.CodeInvalid, "could not read the request body")
		return
	}
	if int64(len(body)) > s.srv.maxPayload {
		refuse(w, http.StatusRequestEntityTooLarge, domain.CodeTooLarge, "a polling request may carry at most maxPayload bytes (--max-frame-bytes)")
		s.close()
		return
	}
	s.posts.Lock()
	defer s.posts.Unlock()
	start := 0
	for i := 0; i <= len(body); i++ {
		if i == len(body) || body[i] == recordSeparator {
			if i > start {
				s.packet(body[start:i])
			}
			start = i + 1
		}
	}
	w.Header().Set("Content-Type", "text/html")
	_, _ = w.Write([]byte("ok"))
}

// packet handles one Engine.IO packet from the client.
func (s *session) packet(p []byte) {
	switch p[0] {
	case pClose:
		s.close()
	case pPong:
		s.pong()
	case pMessage:
		s.message(p[1:])
	}
}
