package ws

import (
	"net"
	"sync"
	"sync/atomic"
)

// melody writes one frame per write to the connection. When several frames
// of one socket are queued (acks and arrivals under load, a burst of
// messages), each costs a system call. batchConn lets the frames that melody
// writes one after the other go out in one: while the client has handed
// melody more frames than the one being written, a write is kept, and the
// write of the last frame queued sends them all. melody stays the socket's
// reader and writer; only the system calls are fewer.

// maxBatchBytes bounds what one socket keeps back before it writes.
const maxBatchBytes = 16 << 10

// batchBuffers lend the bytes kept back, so that an idle socket holds none.
var batchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// batchConn is a websocket's connection whose writes are gathered while
// more frames are queued behind them.
type batchConn struct {
	net.Conn
	// queued counts the frames the client handed melody that melody has not
	// finished writing: the one being written and those behind it.
	queued atomic.Int32
	// kept holds the writes kept back; the websocket library writes one
	// frame at a time, so only one goroutine uses it at once.
	kept *[]byte
}

// Write sends p, with the writes kept before it, unless more frames are
// queued behind it: then it keeps p for the write of the last of them.
// Control frames (pings, the close) are written while nothing is queued
// behind them, so they are never held either.
func (c *batchConn) Write(p []byte) (int, error) {
	kept := 0
	if c.kept != nil {
		kept = len(*c.kept)
	}
	if c.queued.Load() > 1 && kept+len(p) <= maxBatchBytes {
		if c.kept == nil {
			c.kept = batchBuffers.Get().(*[]byte)
		}
		*c.kept = append(*c.kept, p...)
		return len(p), nil
	}
	if c.kept == nil {
		return c.Conn.Write(p)
	}
	b := append(*c.kept, p...)
	_, err := c.Conn.Write(b)
	if cap(b) <= 2*maxBatchBytes {
		*c.kept = b[:0]
		batchBuffers.Put(c.kept)
	}
	c.kept = nil
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// queue counts n more (or, negative, fewer) frames handed to melody; a nil
// batchConn (a transport that is not melody's) counts nothing.
func (c *batchConn) queue(n int32) {
	if c != nil {
		c.queued.Add(n)
	}
}
