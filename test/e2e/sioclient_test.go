package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sioDir holds the socket.io-client the tests drive (its own package.json
// and lockfile; .ci/deps runs npm ci there).
const sioDir = "socketio"

// sioSeen is one thing the Socket.IO client saw: an event, an ack, a
// connect, a connect_error, a disconnect or an upgrade.
type sioSeen struct {
	Type      string          `json:"type"`
	Event     string          `json:"event"`
	ID        int             `json:"id"`
	Data      json.RawMessage `json:"data"`
	Message   string          `json:"message"`
	Reason    string          `json:"reason"`
	Transport string          `json:"transport"`
}

// sioClient is the real npm socket.io-client under Node.js, driven through
// test/e2e/socketio/driver.js. Like wsClient it queues what it sees; tests
// take what they look for.
type sioClient struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  *json.Encoder
	wmu    sync.Mutex
	notify chan struct{}
	nextID int

	mu    sync.Mutex
	queue []sioSeen
}

// needNode skips nothing: the Socket.IO tests need Node.js and the client
// installed, and fail with how to get them otherwise.
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: run .ci/deps")
	}
	if _, err := os.Stat(filepath.Join(sioDir, "node_modules", "socket.io-client")); err != nil {
		t.Fatal("socket.io-client is not installed: run .ci/deps (npm ci in test/e2e/socketio)")
	}
}

// dialSIO starts a socket.io-client connected to s with options (the
// client's io(url, options)).
func dialSIO(t *testing.T, s *server, name string, options map[string]any) *sioClient {
	t.Helper()
	needNode(t)
	opts, _ := json.Marshal(options)
	cmd := exec.Command("node", "driver.js", "http://"+s.addr, string(opts))
	cmd.Dir = sioDir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	c := &sioClient{t: t, name: name, cmd: cmd, stdin: json.NewEncoder(in), notify: make(chan struct{}, 1)}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	go func() {
		sc := bufio.NewScanner(outPipe)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var seen sioSeen
			if json.Unmarshal(sc.Bytes(), &seen) != nil {
				continue
			}
			c.mu.Lock()
			c.queue = append(c.queue, seen)
			c.mu.Unlock()
			select {
			case c.notify <- struct{}{}:
			default:
			}
		}
	}()
	return c
}

func (c *sioClient) command(cmd map[string]any) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.stdin.Encode(cmd); err != nil {
		c.t.Fatalf("%s: write to node: %v", c.name, err)
	}
}

// take returns the first queued thing match accepts, waiting up to timeout.
func (c *sioClient) take(match func(sioSeen) bool, timeout time.Duration) (sioSeen, bool) {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		for i, s := range c.queue {
			if match(s) {
				c.queue = append(c.queue[:i:i], c.queue[i+1:]...)
				c.mu.Unlock()
				return s, true
			}
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-deadline:
			return sioSeen{}, false
		}
	}
}

// must takes the first thing match accepts or fails the test.
func (c *sioClient) must(what string, match func(sioSeen) bool) sioSeen {
	c.t.Helper()
	s, ok := c.take(match, 10*time.Second)
	if !ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.t.Fatalf("%s: no %s; queued: %+v", c.name, what, c.queue)
	}
	return s
}

// connected waits for the connect event and returns the transport it used.
func (c *sioClient) connected() string {
	c.t.Helper()
	return c.must("connect", func(s sioSeen) bool { return s.Type == "connect" }).Transport
}

// event waits for a server event.
func (c *sioClient) event(name string) json.RawMessage {
	c.t.Helper()
	return c.must("event "+name, func(s sioSeen) bool { return s.Type == "event" && s.Event == name }).Data
}

// call emits event with a callback and returns what the callback received.
func (c *sioClient) call(event string, data any) json.RawMessage {
	c.t.Helper()
	c.nextID++
	id := c.nextID
	c.command(map[string]any{"op": "emit", "event": event, "data": data, "id": id})
	return c.must("callback of "+event, func(s sioSeen) bool { return s.Type == "ack" && s.ID == id }).Data
}

// mustCall is call for an event that must succeed.
func (c *sioClient) mustCall(event string, data any) json.RawMessage {
	c.t.Helper()
	got := c.call(event, data)
	if strings.HasPrefix(string(got), `{"error":`) {
		c.t.Fatalf("%s: %s failed: %s", c.name, event, got)
	}
	return got
}

// callError emits event with a callback that must receive an error.
func (c *sioClient) callError(event string, data any) errorBody {
	c.t.Helper()
	var got struct {
		Error *errorBody `json:"error"`
	}
	raw := c.call(event, data)
	if json.Unmarshal(raw, &got) != nil || got.Error == nil {
		c.t.Fatalf("%s: %s: want an error, got %s", c.name, event, raw)
	}
	return *got.Error
}

// expectNone fails when match accepts something seen within d.
func (c *sioClient) expectNone(d time.Duration, match func(sioSeen) bool) {
	c.t.Helper()
	if s, ok := c.take(match, d); ok {
		c.t.Fatalf("%s: unexpected %+v", c.name, s)
	}
}

// events returns the stored events of conversation conv.
func (s *server) events(t *testing.T, conv string) []auditEvent {
	t.Helper()
	var page eventsPage
	if code := s.do(t, "GET", "/api/conversations/"+conv+"/events", nil, &page); code != http.StatusOK {
		t.Fatalf("events of %s: status %d", conv, code)
	}
	return page.Events
}
