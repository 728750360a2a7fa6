package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// frame is a websocket frame as a client sees it.
type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data,omitempty"`
	Ack   json.RawMessage `json:"ack,omitempty"`
}

// wsClient is a real websocket client. It queues every frame it receives, in
// order; tests take the frames they look for and leave the others queued.
type wsClient struct {
	t      *testing.T
	name   string
	conn   *websocket.Conn
	wmu    sync.Mutex
	notify chan struct{}
	closed chan struct{}
	acks   atomic.Int64

	mu        sync.Mutex
	queue     []frame
	closeCode int
}

// dialRaw opens a websocket connection the test reads itself, with the
// bearer credential when not empty.
func dialRaw(t *testing.T, s *server, credential string) *websocket.Conn {
	t.Helper()
	header := http.Header{}
	if credential != "" {
		header.Set("Authorization", "Bearer "+credential)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/ws", header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dial opens an anonymous connection, as a customer's browser does.
func dial(t *testing.T, s *server, name string) *wsClient { t.Helper(); return dialAs(t, s, name, "") }

// dialAs opens a connection with an API key or token on the upgrade.
func dialAs(t *testing.T, s *server, name, credential string) *wsClient {
	t.Helper()
	conn := dialRaw(t, s, credential)
	c := &wsClient{t: t, name: name, conn: conn, notify: make(chan struct{}, 1), closed: make(chan struct{})}
	go c.read()
	return c
}

func (c *wsClient) read() {
	defer close(c.closed)
	for {
		_, raw, err := c.conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				c.mu.Lock()
				c.closeCode = ce.Code
				c.mu.Unlock()
			}
			return
		}
		var f frame
		if err := json.Unmarshal(raw, &f); err != nil {
			c.t.Errorf("%s: server sent a frame that is not JSON: %s", c.name, raw)
			continue
		}
		c.mu.Lock()
		c.queue = append(c.queue, f)
		c.mu.Unlock()
		select {
		case c.notify <- struct{}{}:
		default:
		}
	}
}

// send writes a frame; ack, when not empty, asks for an ack.
func (c *wsClient) send(event string, data any, ack string) {
	c.t.Helper()
	f := map[string]any{"event": event, "data": data}
	if ack != "" {
		f["ack"] = ack
	}
	c.wmu.Lock()
	err := c.conn.WriteJSON(f)
	c.wmu.Unlock()
	if err != nil {
		c.t.Fatalf("%s: send %s: %v", c.name, event, err)
	}
}

// take removes and returns the first queued frame that matches, waiting up
// to timeout for one; ok is false when none came.
func (c *wsClient) take(match func(frame) bool, timeout time.Duration) (frame, bool) {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		for i, f := range c.queue {
			if match(f) {
				c.queue = append(c.queue[:i:i], c.queue[i+1:]...)
				c.mu.Unlock()
				return f, true
			}
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-c.closed:
			// Frames may have arrived just before the close.
			return c.takeQueued(match)
		case <-deadline:
			return frame{}, false
		}
	}
}

func (c *wsClient) takeQueued(match func(frame) bool) (frame, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, f := range c.queue {
		if match(f) {
			c.queue = append(c.queue[:i:i], c.queue[i+1:]...)
			return f, true
		}
	}
	return frame{}, false
}

// next returns the first queued or coming frame of the event, failing after 10s.
func (c *wsClient) next(event string) frame {
	c.t.Helper()
	f, ok := c.take(func(f frame) bool { return f.Event == event }, 10*time.Second)
	if !ok {
		c.t.Fatalf("%s: no %s within 10s (queued: %s; close code %d)", c.name, event, c.queued(), c.code())
	}
	return f
}

// call sends a frame with an ack and returns the ack or error frame.
func (c *wsClient) call(event string, data any) frame {
	c.t.Helper()
	ack := fmt.Sprintf("%s-%d", c.name, c.acks.Add(1))
	c.send(event, data, ack)
	want, _ := json.Marshal(ack)
	f, ok := c.take(func(f frame) bool {
		return (f.Event == "ack" || f.Event == "error") && string(f.Ack) == string(want)
	}, 10*time.Second)
	if !ok {
		c.t.Fatalf("%s: no answer to %s within 10s (queued: %s)", c.name, event, c.queued())
	}
	return f
}

// mustCall is call that fails on an error answer.
func (c *wsClient) mustCall(event string, data any) frame {
	c.t.Helper()
	f := c.call(event, data)
	if f.Event != "ack" {
		c.t.Fatalf("%s: %s answered %s: %s", c.name, event, f.Event, f.Data)
	}
	return f
}

// expectNone fails if a frame that matches arrives within d.
func (c *wsClient) expectNone(d time.Duration, match func(frame) bool) {
	c.t.Helper()
	if f, ok := c.take(match, d); ok {
		c.t.Fatalf("%s: unexpected %s: %s", c.name, f.Event, f.Data)
	}
}

func (c *wsClient) queued() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for _, f := range c.queue {
		names = append(names, f.Event)
	}
	return strings.Join(names, ",")
}

func (c *wsClient) code() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}
