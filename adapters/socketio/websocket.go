package socketio

import (
	"time"

	"github.com/gorilla/websocket"
)

// canUpgrade reports whether the session may switch to a websocket.
func (s *session) canUpgrade() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && s.conn == nil
}

// probe runs Engine.IO's upgrade on conn: "2probe" is answered "3probe",
// the waiting poll is sent a noop so the client can pause polling, and
// "5" switches the session to the websocket.
func (s *session) probe(conn *websocket.Conn) {
	s.mu.Lock()
	if s.closed || s.conn != nil {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.conn, s.upgrading = conn, true
	s.mu.Unlock()
	for {
		_, p, err := conn.ReadMessage()
		if err != nil {
			s.close()
			return
		}
		switch string(p) {
		case "2probe":
			_ = conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.PingTimeout))
			if conn.WriteMessage(websocket.TextMessage, []byte("3probe")) != nil {
				s.close()
				return
			}
			_ = s.push([]byte{pNoop}, false)
		case "5":
			s.mu.Lock()
			s.upgrading = false
			s.mu.Unlock()
			go s.writeWebsocket(conn)
			s.readWebsocket(conn)
			return
		default:
			s.close()
			return
		}
	}
}

// useWebsocket serves a session opened over a websocket.
func (s *session) useWebsocket(conn *websocket.Conn, open []byte) {
	s.mu.Lock()
	s.conn = conn
	s.queue = append([]item{{data: open}}, s.queue...)
	s.mu.Unlock()
	go s.writeWebsocket(conn)
	go s.readWebsocket(conn)
}

func (s *session) readWebsocket(conn *websocket.Conn) {
	defer s.close()
	for {
		kind, p, err := conn.ReadMessage()
		if err != nil {
			return
		}
		// Binary messages are attachments of binary events, which are
		// refused when their packet arrives.
		if kind == websocket.TextMessage && len(p) > 0 {
			s.packet(p)
		}
	}
}

func (s *session) writeWebsocket(conn *websocket.Conn) {
	defer s.close()
	for {
		items, closing := s.take()
		for i, it := range items {
			_ = conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.PingTimeout))
			if conn.WriteMessage(websocket.TextMessage, it.data) != nil {
				return
			}
			if it.frame {
				s.written(items[i : i+1])
			}
		}
		if closing {
			_ = conn.WriteMessage(websocket.TextMessage, []byte{pClose})
			return
		}
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}
