package socketio

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Socket.IO packet types.
const (
	sConnect      = '0'
	sDisconnect   = '1'
	sEvent        = '2'
	sAck          = '3'
	sConnectError = '4'
	sBinaryEvent  = '5'
	sBinaryAck    = '6'
)

// connectErrorDelay is how long a session refused at connect stays open,
// so its connect_error is read before the session ends.
const connectErrorDelay = time.Second

// message handles one Socket.IO packet, carried by an Engine.IO message.
func (s *session) message(p []byte) {
	if len(p) == 0 {
		return
	}
	kind, rest := p[0], p[1:]
	if len(rest) > 0 && rest[0] == '/' {
		ns := rest
		if i := bytes.IndexByte(rest, ','); i >= 0 {
			ns, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if string(ns) != "/" {
			if kind == sConnect {
				_ = s.push(append(append([]byte{pMessage, sConnectError}, ns...), `,{"message":"Invalid namespace"}`...), false)
			}
			return
		}
	}
	s.mu.Lock()
	peer := s.peer
	s.mu.Unlock()
	switch kind {
	case sConnect:
		if peer == nil {
			s.connect(rest)
		}
	case sDisconnect:
		s.close()
	case sEvent:
		if peer != nil {
			s.event(peer, rest)
		}
	case sBinaryEvent, sBinaryAck:
		if peer != nil {
			peer.ReceiveBinary()
		}
	}
}

// auth is the data of a CONNECT packet: socket.io-client's auth option.
type auth struct {
	Token  string `json:"token"`
	APIKey string `json:"apiKey"`
}

// connect authenticates the client by its auth (or the Authorization
// header of the request that opened the session) and joins it to the hub.
// Bad credentials, and missing ones where authentication is on, end in
// connect_error "unauthenticated" before anything is stored.
func (s *session) connect(data []byte) {
	var a auth
	if len(bytes.TrimSpace(data)) > 0 && json.Unmarshal(data, &a) != nil {
		s.refuseConnect(domain.Errorf(domain.CodeUnauthenticated, "auth must be a JSON object {token} or {apiKey}"))
		return
	}
	credential := a.Token
	if credential == "" {
		credential = a.APIKey
	}
	if credential == "" {
		credential = s.bearer
	}
	hub := s.srv.hub
	if credential == "" && !hub.AuthenticationOff() {
		s.refuseConnect(domain.Errorf(domain.CodeUnauthenticated, "credentials are missing: connect with auth: {token} or {apiKey}"))
		return
	}
	principal, err := hub.Authenticate(credential)
	if err != nil {
		s.refuseConnect(err)
		return
	}
	peer := hub.Attach(s, principal)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		go peer.Closed()
		return
	}
	s.peer = peer
	s.queue = append(s.queue, item{data: connectPacket(peer.ID())})
	s.mu.Unlock()
	s.signal()
}

func connectPacket(sid string) []byte {
	b, _ := json.Marshal(map[string]string{"sid": sid})
	return append([]byte{pMessage, sConnect}, b...)
}

// refuseConnect answers CONNECT with connect_error; the client reads
// err.message "unauthenticated" and err.data {code, message}.
func (s *session) refuseConnect(err error) {
	b, _ := json.Marshal(map[string]any{"message": string(domain.CodeUnauthenticated),
		"data": map[string]string{"code": string(domain.ErrorCode(err)), "message": domain.ErrorMessage(err)}})
	_ = s.push(append([]byte{pMessage, sConnectError}, b...), false)
	time.AfterFunc(connectErrorDelay, s.close)
}

// event gives the hub the frame of an EVENT packet, or answers a packet
// that is not an event.
func (s *session) event(peer Peer, p []byte) {
	frame, refused := eventFrame(p)
	if refused != nil {
		_ = s.push(refused, false)
		return
	}
	peer.Receive(frame)
}

// eventFrame turns an EVENT packet, [ack id]["name", data], into the JSON
// websocket's frame {"event", "data", "ack"}; a packet that is not one is
// answered as the hub answers a bad frame: the returned packet.
func eventFrame(p []byte) (frame, refused []byte) {
	i := 0
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	ackID, body := p[:i], p[i:]
	var args []json.RawMessage
	var name string
	if json.Unmarshal(body, &args) != nil || len(args) == 0 || json.Unmarshal(args[0], &name) != nil || name == "" {
		err := domain.FieldError(domain.CodeInvalid, "event", `an event packet must be ["event", data]`)
		data, _ := json.Marshal(map[string]string{"code": string(domain.ErrorCode(err)), "message": domain.ErrorMessage(err), "field": "event"})
		return nil, errorPacket(ackID, data)
	}
	frame = make([]byte, 0, len(body)+len(ackID)+32)
	frame = append(append(frame, `{"event":`...), args[0]...)
	if len(args) > 1 {
		frame = append(append(frame, `,"data":`...), args[1]...)
	}
	if len(ackID) > 0 {
		frame = append(append(frame, `,"ack":`...), ackID...)
	}
	return append(frame, '}'), nil
}

// Write implements Conn: the hub's frame becomes a Socket.IO packet.
func (s *session) Write(frame []byte) error { return s.push(packetOf(frame), true) }

// CloseWithMsg implements Conn: the session closes once the packets
// queued before are written, when a poll or a websocket is there to write
// them. The client sees its transport close and
// reconnects, which is what every close of the hub asks for (going away,
// too slow, an internal error).
func (s *session) CloseWithMsg([]byte) error {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	// A polling client that is not polling now may never come back for
	// the close: it is closed at once (it reconnects and rejoins with
	// since). Otherwise a writer that cannot finish is cut off after
	// PingTimeout.
	idle := s.conn == nil && !s.polling
	s.mu.Unlock()
	if idle {
		s.close()
		return nil
	}
	time.AfterFunc(s.srv.cfg.PingTimeout, s.close)
	s.signal()
	return nil
}

// IsClosed implements Conn.
func (s *session) IsClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// packetOf turns a frame of the hub, {"event":"name","data":…[,"ack":…]},
// into a Socket.IO packet: an ack frame answers the event's callback with
// its data, an error frame with an ack answers it with {"error": data},
// and every other frame is emitted as the event of the same name.
func packetOf(frame []byte) []byte {
	const head = `{"event":"`
	const sep = `","data":`
	if bytes.HasPrefix(frame, []byte(head)) {
		if n := bytes.Index(frame[len(head):], []byte(sep)); n > 0 {
			name := frame[len(head) : len(head)+n]
			if string(name) != eventAck && string(name) != eventError {
				// Only ack and error frames carry an ack: this frame is
				// name and data, which is written as it is.
				data := frame[len(head)+n+len(sep) : len(frame)-1]
				return eventPacket(name, data)
			}
		}
	}
	var f struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
		Ack   json.RawMessage `json:"ack"`
	}
	if json.Unmarshal(frame, &f) != nil {
		panic("socketio: the hub sent a frame that is not JSON: " + string(frame))
	}
	if len(f.Data) == 0 {
		f.Data = json.RawMessage("null")
	}
	switch {
	case f.Event == eventAck && len(f.Ack) > 0:
		return ackPacket(f.Ack, f.Data)
	case f.Event == eventError:
		return errorPacket(f.Ack, f.Data)
	}
	name, _ := json.Marshal(f.Event)
	return eventPacket(name[1:len(name)-1], f.Data)
}

func eventPacket(name, data []byte) []byte {
	b := make([]byte, 0, len(name)+len(data)+8)
	b = append(append(append(b, pMessage, sEvent, '[', '"'), name...), '"', ',')
	return append(append(b, data...), ']')
}

func ackPacket(ackID, data []byte) []byte {
	b := make([]byte, 0, len(ackID)+len(data)+5)
	b = append(append(append(b, pMessage, sAck), ackID...), '[')
	return append(append(b, data...), ']')
}

// errorPacket answers the callback of ackID with {"error": data}, or emits
// error when the event had no callback.
func errorPacket(ackID, data []byte) []byte {
	if len(ackID) == 0 || ackID[0] == '"' {
		return eventPacket([]byte(eventError), data)
	}
	b := make([]byte, 0, len(ackID)+len(data)+16)
	b = append(append(append(b, pMessage, sAck), ackID...), `[{"error":`...)
	return append(append(b, data...), '}', ']')
}
