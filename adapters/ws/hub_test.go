package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/projections"
)

type testHub struct {
	*Hub
	svc   *conversations.Service
	store domain.EventStore
	url   string
}

// newTestHub serves a Hub over an embedded store in a temporary directory.
func newTestHub(t *testing.T) *testHub {
	t.Helper()
	return newTestHubWith(t, Config{})
}

func newTestHubWith(t *testing.T, cfg Config) *testHub {
	t.Helper()
	store, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.FramesPerSecond, cfg.FrameBurst = 1e6, 1e6
	h := New(cfg, svc, projections.NewConversationInfos(store, 0),
		projections.NewConnectors(), store, uuid.NewString, logger)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Close(ctx)
	})
	return &testHub{Hub: h, svc: svc, store: store, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

func (th *testHub) dial(t *testing.T) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(th.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

func (th *testHub) start(t *testing.T) domain.ConversationStarted {
	t.Helper()
	started, err := th.svc.Start(context.Background(), domain.StartConversation{Channel: "web", Personal: domain.PersonalData{RefID: uuid.NewString()}}, domain.Metadata{CorrelationID: uuid.NewString()})
	if err != nil {
		t.Fatal(err)
	}
	return started
}

// serverClient returns the hub's client of the only open connection.
func (th *testHub) serverClient(t *testing.T) *client {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		th.mu.Lock()
		for c := range th.clients {
			th.mu.Unlock()
			return c
		}
		th.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no connection registered")
	return nil
}

type testFrame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
	Ack   json.RawMessage `json:"ack"`
}

func readFrame(t *testing.T, ws *websocket.Conn) testFrame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var f testFrame
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFramesAreHandledInTheOrderTheyArrive pipelines commands that take the
// store (join, sendMessage) with ones refused at once: their answers must
// come back in the order the frames were sent.
func TestFramesAreHandledInTheOrderTheyArrive(t *testing.T) {
	th := newTestHub(t)
	conv := th.start(t)
	ws := th.dial(t)
	const n = 120
	var frames []string
	frames = append(frames, fmt.Sprintf(`{"event":"joinConversation","ack":"join","data":{"conversationId":%q,"id":"agent-1","name":"Ada","role":"agent"}}`, conv.ConversationID))
	for i := range n {
		switch i % 3 {
		case 0:
			frames = append(frames, fmt.Sprintf(`{"event":"sendMessage","ack":%d,"data":{"type":"ChatMessage","text":"message %d"}}`, i, i))
		case 1:
			frames = append(frames, fmt.Sprintf(`{"event":"noSuchEvent","ack":%d}`, i))
		default:
			frames = append(frames, fmt.Sprintf(`{"event":"sendMessage","ack":%d,"data":"not an object"}`, i))
		}
	}
	go func() {
		for _, f := range frames {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(f)); err != nil {
				return
			}
		}
	}()

	if f := readFrame(t, ws); f.Event != EventConversationInfo {
		t.Fatalf("first frame %s, want %s", f.Event, EventConversationInfo)
	}
	if f := readFrame(t, ws); f.Event != EventAck || string(f.Ack) != `"join"` {
		t.Fatalf("second frame %s %s, want the join's ack", f.Event, f.Ack)
	}
	last := int64(0)
	for i := range n {
		f := readFrame(t, ws)
		if string(f.Ack) != strconv.Itoa(i) {
			t.Fatalf("answer %d carries ack %s (%s)", i, f.Ack, f.Event)
		}
		want := EventError
		if i%3 == 0 {
			want = EventAck
			var m domain.Message
			if err := json.Unmarshal(f.Data, &m); err != nil {
				t.Fatal(err)
			}
			if m.Text != fmt.Sprintf("message %d", i) || m.Sequence == nil || int64(*m.Sequence) <= last {
				t.Fatalf("message %d acked as %q at sequence %v after %d", i, m.Text, m.Sequence, last)
			}
			last = int64(*m.Sequence)
		}
		if f.Event != want {
			t.Fatalf("answer %d is %s: %s", i, f.Event, f.Data)
		}
	}
}

// TestALeaveWaitsForTheFramesBeforeIt closes the socket right after a join:
// the join, still to be handled when the connection ends, must be stored
// before the leave, or the participant would stay joined.
func TestALeaveWaitsForTheFramesBeforeIt(t *testing.T) {
	th := newTestHub(t)
	for range 5 {
		conv := th.start(t)
		ws, _, err := websocket.DefaultDialer.Dial(th.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		join := fmt.Sprintf(`{"event":"joinConversation","data":{"conversationId":%q,"id":"agent-1","role":"agent"}}`, conv.ConversationID)
		if err := ws.WriteMessage(websocket.TextMessage, []byte(join)); err != nil {
			t.Fatal(err)
		}
		_ = ws.NetConn().Close()
		waitFor(t, func() bool {
			return len(activities(t, th.store, conv.ConversationID)) == 2
		})
		if kinds := activities(t, th.store, conv.ConversationID); kinds[0] != domain.ActivityParticipantJoined || kinds[1] != domain.ActivityParticipantLeft {
			t.Fatalf("stored %v, want a join then a leave", kinds)
		}
	}
}

// activities returns the joins and leaves stored in a conversation.
func activities(t *testing.T, store domain.EventStore, conv string) []string {
	t.Helper()
	recs, err := store.ReadStream(context.Background(), domain.StreamName(conv), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, rec := range recs {
		e, err := domain.DecodeEvent(rec)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := e.(domain.Message)
		if ok && (m.ActivityType == domain.ActivityParticipantJoined || m.ActivityType == domain.ActivityParticipantLeft) {
			kinds = append(kinds, m.ActivityType)
		}
	}
	return kinds
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFramesBeyondTheSendWindowArriveInOrder queues many more frames than
// melody's queue holds: those waiting in the backlog must follow in order,
// whole, and leave nothing counted as pending.
func TestFramesBeyondTheSendWindowArriveInOrder(t *testing.T) {
	th := newTestHub(t)
	ws := th.dial(t)
	c := th.serverClient(t)
	const n = 20 * sendWindow
	go func() {
		for i := range n {
			// Sizes on both sides of the websocket's buffer.
			c.send(fmt.Appendf(nil, `{"event":"ack","ack":%d,"data":%q}`, i, strings.Repeat("p", (i*37)%6000)))
		}
	}()
	for i := range n {
		f := readFrame(t, ws)
		var data string
		if err := json.Unmarshal(f.Data, &data); err != nil {
			t.Fatal(err)
		}
		if string(f.Ack) != strconv.Itoa(i) || data != strings.Repeat("p", (i*37)%6000) {
			t.Fatalf("frame %d arrived as ack %s with %d bytes of data", i, f.Ack, len(data))
		}
	}
	waitFor(t, func() bool { return c.pending.Load() == 0 })
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.inMelody != 0 || c.backlog != nil {
		t.Fatalf("after the last frame: %d in melody's queue, backlog %d", c.inMelody, len(c.backlog))
	}
}

// TestEachFrameGoesOutAlone sends one frame at a time: each must arrive
// with no other frame behind it to move it along.
func TestEachFrameGoesOutAlone(t *testing.T) {
	th := newTestHub(t)
	ws := th.dial(t)
	c := th.serverClient(t)
	for i := range 20 {
		c.send(fmt.Appendf(nil, `{"event":"ack","ack":%d}`, i))
		_ = ws.SetReadDeadline(time.Now().Add(2 * time.Second))
		var f testFrame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if string(f.Ack) != strconv.Itoa(i) {
			t.Fatalf("frame %d arrived as %s", i, f.Ack)
		}
	}
}

// TestCloseFrameFollowsTheBacklog closes a connection with frames waiting
// beyond melody's queue: they reach the client before the close frame, and
// frames queued after the close are dropped.
func TestCloseFrameFollowsTheBacklog(t *testing.T) {
	th := newTestHub(t)
	ws := th.dial(t)
	c := th.serverClient(t)
	const n = 3 * sendWindow
	// Frames of 128 KB, which the test does not read yet: 12 MB is more than
	// the socket buffers hold, so melody's writer blocks and frames wait in
	// the backlog however fast the machine. (Small frames were all written
	// before the check on a loaded machine.)
	pad := strings.Repeat("x", 128<<10)
	for i := range n {
		c.send(fmt.Appendf(nil, `{"event":"ack","ack":%d,"data":{"pad":%q}}`, i, pad))
	}
	c.writeMu.Lock()
	backlog := len(c.backlog)
	c.writeMu.Unlock()
	if backlog == 0 {
		t.Fatal("melody wrote the frames faster than they were queued: nothing waited in the backlog")
	}
	c.close(websocket.FormatCloseMessage(CloseSlowReader, "bye"))
	c.send([]byte(`{"event":"ack","ack":"after"}`))
	for i := range n {
		if f := readFrame(t, ws); string(f.Ack) != strconv.Itoa(i) {
			t.Fatalf("frame %d arrived as %s", i, f.Ack)
		}
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, raw, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, CloseSlowReader) {
		t.Fatalf("read after the frames: %q, %v; want close %d", raw, err, CloseSlowReader)
	}
}

// TestAFullInboxStopsTheReader checks the backpressure: with its worker busy,
// a connection's reader blocks once inboxSize frames wait.
func TestAFullInboxStopsTheReader(t *testing.T) {
	h := &Hub{runq: make(chan *client), stop: make(chan struct{})}
	c := &client{inbox: make(chan inbound, inboxSize)}
	c.working.Store(true) // a worker owns the inbox and is busy
	for i := range inboxSize {
		h.receive(c, []byte(strconv.Itoa(i)), false)
	}
	done := make(chan struct{})
	go func() { h.receive(c, []byte("one too many"), false); close(done) }()
	select {
	case <-done:
		t.Fatal("the reader queued past a full inbox")
	case <-time.After(50 * time.Millisecond):
	}
	if in := <-c.inbox; string(in.raw) != "0" {
		t.Fatalf("first frame out is %q", in.raw)
	}
	<-done
	for i := 1; i <= inboxSize; i++ {
		in := <-c.inbox
		want := strconv.Itoa(i)
		if i == inboxSize {
			want = "one too many"
		}
		if string(in.raw) != want {
			t.Fatalf("frame %d out is %q, want %q", i, in.raw, want)
		}
	}
}

// TestManyConnectionsKeepTheirOrder sends bursts on many connections at
// once, sharing the workers: each connection's answers come back in order,
// and the workers left idle stay within their bound.
func TestManyConnectionsKeepTheirOrder(t *testing.T) {
	th := newTestHub(t)
	const conns, frames = 20, 60
	var wg sync.WaitGroup
	for range conns {
		ws := th.dial(t)
		wg.Go(func() {
			go func() {
				for i := range frames {
					_ = ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"event":"x","ack":%d}`, i))
				}
			}()
			for i := range frames {
				_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				var f testFrame
				if err := ws.ReadJSON(&f); err != nil {
					t.Error(err)
					return
				}
				if string(f.Ack) != strconv.Itoa(i) {
					t.Errorf("answer %d carries ack %s", i, f.Ack)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := th.idleWorkers.Load(); n > maxIdleWorkers {
		t.Fatalf("%d idle workers, more than %d", n, maxIdleWorkers)
	}
}

// TestIdleWorkersEnd: given the workers a burst on many connections
// started, when no frame comes for longer than a worker waits, then every
// worker has ended; and the next frame still gets its answer.
func TestIdleWorkersEnd(t *testing.T) {
	th := newTestHub(t)
	th.workerIdle = 100 * time.Millisecond
	var conns []*websocket.Conn
	for range 20 {
		conns = append(conns, th.dial(t))
	}
	ask := func(ws *websocket.Conn) {
		t.Helper()
		if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"x","ack":1}`)); err != nil {
			t.Fatal(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var f testFrame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatal(err)
		}
	}
	for _, ws := range conns {
		ask(ws)
	}
	deadline := time.Now().Add(10 * time.Second)
	for th.idleWorkers.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still wait after 10 s", th.idleWorkers.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ask(conns[0])
}

// TestRefusedUpgradesAreAnsweredInHTTP checks the refusals of the websocket
// library reach the client as HTTP responses, whether the connection was
// taken over from the HTTP server or not.
func TestRefusedUpgradesAreAnsweredInHTTP(t *testing.T) {
	th := newTestHubWith(t, Config{AllowedOrigins: []string{"https://good.example"}})
	httpURL := "http" + strings.TrimPrefix(th.url, "ws")
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"origin not allowed", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"unsupported version", map[string]string{"Sec-WebSocket-Version": "8"}, http.StatusBadRequest},
		{"bad key", map[string]string{"Sec-WebSocket-Key": "short"}, http.StatusBadRequest},
		{"not an upgrade", map[string]string{"Connection": "keep-alive", "Upgrade": ""}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, httpURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("reading the refusal: %v", err)
			}
			if resp.StatusCode != tc.want || len(body) == 0 {
				t.Fatalf("status %d with %q, want %d with a reason", resp.StatusCode, body, tc.want)
			}
		})
	}
	// An allowed origin is still served.
	ws, _, err := websocket.DefaultDialer.Dial(th.url, http.Header{"Origin": {"https://good.example"}})
	if err != nil {
		t.Fatal(err)
	}
	ws.Close()
}

// TestTheHTTPHandlerReturnsWhileTheSocketIsOpen checks the connection is
// served off the HTTP server's goroutine, and still served.
func TestTheHTTPHandlerReturnsWhileTheSocketIsOpen(t *testing.T) {
	th := newTestHub(t)
	returned := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		th.ServeHTTP(w, r)
		returned <- struct{}{}
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("ServeHTTP still running")
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"x","ack":1}`)); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, ws); f.Event != EventError || string(f.Ack) != "1" {
		t.Fatalf("answer %s %s", f.Event, f.Ack)
	}
}
