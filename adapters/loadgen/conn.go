package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// dialer keeps each client's buffers small: a run may hold tens of thousands
// of sockets, and what the client spends is memory the server does not get.
var dialer = &websocket.Dialer{
	HandshakeTimeout: 10 * time.Second,
	ReadBufferSize:   2048,
	WriteBufferSize:  2048,
	WriteBufferPool:  &sync.Pool{},
}

// conn is one client websocket. Its reader goroutine accounts for every
// frame in the run's sink, hands answers to setup frames to control, and
// returns a closed-loop sender's token for each ack or error.
type conn struct {
	ws    *websocket.Conn
	shard int
	sink  *sink
	// control receives the frames answering setup frames (string acks).
	control chan []byte
	// window holds a closed-loop sender's tokens: one per message that may
	// await its ack.
	window chan struct{}
	done   chan struct{}
	// sio is set for a Socket.IO client (sioconn.go).
	sio bool

	wmu sync.Mutex // one writer at a time: setup, then the sender, then close
}

// dial opens a websocket to url with a bearer credential when not empty.
func dial(ctx context.Context, url, credential string, shard int, s *sink, inFlight int) (*conn, error) {
	h := http.Header{}
	if credential != "" {
		h.Set("Authorization", "Bearer "+credential)
	}
	ws, resp, err := dialer.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("connect to %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	c := &conn{ws: ws, shard: shard, sink: s, control: make(chan []byte, 8),
		window: make(chan struct{}, inFlight), done: make(chan struct{}), sio: strings.Contains(url, "/socket.io/")}
	if c.sio {
		if err := sioHandshake(ws, credential); err != nil {
			_ = ws.Close()
			return nil, err
		}
	}
	for range inFlight {
		c.window <- struct{}{}
	}
	go c.read()
	return c, nil
}

func (c *conn) read() {
	defer close(c.done)
	var buf bytes.Buffer
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		b := buf.Bytes()
		if c.sio {
			if len(b) == 1 && b[0] == '2' {
				c.wmu.Lock()
				_ = c.ws.WriteMessage(websocket.TextMessage, []byte{'3'}) // pong
				c.wmu.Unlock()
				continue
			}
			if b = fromSIO(b); b == nil {
				continue
			}
		}
		f := parseFrame(b)
		switch f.kind {
		case kindOther:
			continue
		case kindControl:
			select {
			case c.control <- bytes.Clone(b):
			default: // nobody waits for it
			}
			continue
		case kindAck, kindError:
			select {
			case c.window <- struct{}{}:
			default:
			}
		}
		c.sink.handle(c.shard, f)
	}
}

// write sends one text frame.
func (c *conn) write(b []byte) error {
	if c.sio {
		var err error
		if b, err = toSIO(b); err != nil {
			return err
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// call sends a setup frame with a string ack and waits for its answer.
func (c *conn) call(ctx context.Context, event string, data any) (json.RawMessage, error) {
	raw, err := json.Marshal(map[string]any{"event": event, "ack": "setup", "data": data})
	if err != nil {
		return nil, err
	}
	if err := c.write(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", event, err)
	}
	select {
	case b := <-c.control:
		var f struct {
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: answer is not JSON: %w", event, err)
		}
		if f.Event != "ack" {
			return nil, fmt.Errorf("%s: %s %s", event, f.Event, f.Data)
		}
		return f.Data, nil
	case <-c.done:
		return nil, fmt.Errorf("%s: the connection closed", event)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", event, ctx.Err())
	}
}

// close says goodbye and waits, briefly, for the server to close its side.
func (c *conn) close() {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	_ = c.ws.Close()
	<-c.done
}

// closeAll closes conns, many at a time.
func closeAll(conns []*conn) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range conns {
		if c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() { defer func() { <-sem }(); c.close() })
	}
	wg.Wait()
}
