package ws

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// countedWrites is a real connection that counts the writes made to it.
type countedWrites struct {
	net.Conn
	writes int
}

func (c *countedWrites) Write(p []byte) (int, error) {
	c.writes++
	return c.Conn.Write(p)
}

// loopback returns both ends of a real TCP connection on 127.0.0.1.
func loopback(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// TestFramesQueuedBehindEachOtherGoOutInOneWrite: given frames handed to
// melody together, when melody writes them one after the other (each
// counted out once written, as the client's sent does), then the
// connection sees one write per run of queued frames, bounded by
// maxBatchBytes, and the peer reads every byte in order.
func TestFramesQueuedBehindEachOtherGoOutInOneWrite(t *testing.T) {
	tests := map[string]struct {
		frames     int
		size       int
		together   bool // all handed to melody before the first is written
		wantWrites int
	}{
		"one at a time":         {frames: 5, size: 40, together: false, wantWrites: 5},
		"queued together":       {frames: 5, size: 40, together: true, wantWrites: 1},
		"more than one batch":   {frames: 6, size: maxBatchBytes / 2, together: true, wantWrites: 2},
		"one frame":             {frames: 1, size: 40, together: true, wantWrites: 1},
		"larger than the bound": {frames: 2, size: 2 * maxBatchBytes, together: true, wantWrites: 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			server, peer := loopback(t)
			counted := &countedWrites{Conn: server}
			bc := &batchConn{Conn: counted}
			var want bytes.Buffer
			read := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(io.LimitReader(peer, int64(tt.frames*tt.size)))
				read <- b
			}()
			if tt.together {
				bc.queue(int32(tt.frames))
			}
			for i := range tt.frames {
				frame := bytes.Repeat([]byte{byte('a' + i)}, tt.size)
				want.Write(frame)
				if !tt.together {
					bc.queue(1)
				}
				if n, err := bc.Write(frame); err != nil || n != len(frame) {
					t.Fatalf("write %d: %d, %v", i, n, err)
				}
				bc.queue(-1)
			}
			if got := <-read; !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("the peer read %d bytes, not the %d written in order", len(got), want.Len())
			}
			if counted.writes != tt.wantWrites {
				t.Fatalf("%d writes reached the connection, want %d", counted.writes, tt.wantWrites)
			}
			if bc.kept != nil {
				t.Fatal("bytes are still kept back after the last queued frame")
			}
		})
	}
}
