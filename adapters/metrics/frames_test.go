package metrics

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestConnectionsCountFramesSent serves a real websocket through
// Connections: the server writes messages of every length class (and a
// ping, which is no data frame); the frames sent counter says how many.
func TestConnectionsCountFramesSent(t *testing.T) {
	m := New()
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 70000}
	served := make(chan struct{})
	upgrader := websocket.Upgrader{}
	h := m.Connections("websocket", func(*http.Request) string { return "agent" }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(served)
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		for _, n := range sizes {
			if err := conn.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), n)); err != nil {
				t.Error(err)
			}
		}
		_ = conn.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for range sizes {
		if _, _, err := client.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	<-served
	if got := testutil.ToFloat64(m.framesSent.WithLabelValues("websocket")); got != float64(len(sizes)) {
		t.Errorf("frames sent = %v, want %d", got, len(sizes))
	}
	if got := testutil.ToFloat64(m.connections.WithLabelValues("websocket", "agent")); got != 0 {
		t.Errorf("open connections after close = %v", got)
	}
}

// TestFrameCounterAcrossSplits: a frame header split over writes is
// still read whole.
func TestFrameCounterAcrossSplits(t *testing.T) {
	// A text frame of 126 bytes (16-bit length), then a ping, then a
	// binary frame of 2 bytes.
	stream := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
	stream = append(stream, 0x81, 126, 0, 126)
	stream = append(stream, bytes.Repeat([]byte("x"), 126)...)
	stream = append(stream, 0x89, 1, 'p', 0x82, 2, 'a', 'b')
	var f frameCounter
	got := 0
	for _, b := range stream {
		got += f.feed([]byte{b})
	}
	if got != 2 {
		t.Errorf("frames = %d, want 2", got)
	}
}
