package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gorilla/websocket"
)

// Socket.IO clients (--transport socketio) speak Engine.IO 4 and Socket.IO
// 5 over a websocket, as socket.io-client does with transports:
// ["websocket"]. Their frames are translated at the socket's edge, so the
// scenarios, the sink and the frame parser are the JSON websocket's: an
// event ["name", data] with ack id N is the frame {"event", "data", "ack":
// N}, and the setup frames' string ack is the ack id 0 (bench acks are send
// times, never 0).

// sioHandshake reads the open packet and connects to the default
// namespace with credential as auth.token.
func sioHandshake(ws *websocket.Conn, credential string) error {
	_, b, err := ws.ReadMessage()
	if err != nil || len(b) == 0 || b[0] != '0' {
		return fmt.Errorf("socket.io: no open packet (%v)", err)
	}
	auth, _ := json.Marshal(map[string]string{"token": credential})
	if err := ws.WriteMessage(websocket.TextMessage, append([]byte("40"), auth...)); err != nil {
		return err
	}
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("socket.io: connect: %w", err)
		}
		switch {
		case bytes.HasPrefix(b, []byte("40")):
			return nil
		case bytes.HasPrefix(b, []byte("44")):
			return fmt.Errorf("socket.io: connect_error %s", b[2:])
		}
	}
}

// fromSIO turns a Socket.IO packet into the frame the JSON websocket would
// have carried, or nil for a packet that carries none.
func fromSIO(b []byte) []byte {
	if len(b) < 3 || b[0] != '4' {
		return nil
	}
	switch b[1] {
	case '2': // 42["name",data]
		rest := b[2:]
		i := bytes.IndexByte(rest[2:], '"')
		if rest[0] != '[' || rest[1] != '"' || i < 0 {
			return nil
		}
		name, data := rest[2:2+i], rest[2+i+2:len(rest)-1]
		out := make([]byte, 0, len(b)+24)
		out = append(append(append(out, `{"event":"`...), name...), `","data":`...)
		return append(append(out, data...), '}')
	case '3': // 43N[data] or 43N[{"error":data}]
		j := 2
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		ack, data := b[2:j], b[j+1:len(b)-1]
		event := "ack"
		if bytes.HasPrefix(data, []byte(`{"error":`)) {
			event, data = "error", data[len(`{"error":`):len(data)-1]
		}
		if string(ack) == "0" {
			ack = []byte(`"setup"`)
		}
		out := make([]byte, 0, len(b)+32)
		out = append(append(append(out, `{"event":"`...), event...), `","data":`...)
		out = append(append(append(out, data...), `,"ack":`...), ack...)
		return append(out, '}')
	}
	return nil
}

// toSIO turns a frame the load generator writes into a Socket.IO event.
func toSIO(frame []byte) ([]byte, error) {
	const hot = `{"event":"sendMessage","ack":`
	if bytes.HasPrefix(frame, []byte(hot)) {
		rest := frame[len(hot):]
		if i := bytes.Index(rest, []byte(`,"data":`)); i > 0 {
			out := make([]byte, 0, len(frame)+8)
			out = append(append(append(out, "42"...), rest[:i]...), `["sendMessage",`...)
			return append(append(out, rest[i+len(`,"data":`):len(rest)-1]...), ']'), nil
		}
	}
	var f struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
		Ack   json.RawMessage `json:"ack"`
	}
	if err := json.Unmarshal(frame, &f); err != nil {
		return nil, err
	}
	ack := string(f.Ack)
	if len(ack) > 0 && ack[0] == '"' {
		ack = "0"
	} else if _, err := strconv.ParseInt(ack, 10, 64); ack != "" && err != nil {
		return nil, fmt.Errorf("socket.io: ack %s is not a number", ack)
	}
	name, _ := json.Marshal(f.Event)
	out := append([]byte("42"+ack+"["), name...)
	if len(f.Data) > 0 {
		out = append(append(out, ','), f.Data...)
	}
	return append(out, ']'), nil
}
