package ws

import (
	"runtime/debug"

	"github.com/olahol/melody"
)

// Frames are handled on worker goroutines rather than on the goroutine that
// reads the socket (melody's): handling a command (decoding, validation, the
// store) grows a goroutine's stack to its depth, and a reader keeps that
// stack for as long as its connection is open, even idle. A worker belongs
// to one connection while that connection has frames to handle, which keeps
// its frames in order and lets a slow command delay only its own
// connection; then it waits for the next connection with work, or ends when
// enough others wait already.

// inboxSize is how many frames of one connection may wait to be handled.
// Once that many wait, the reader stops reading the socket, which slows the
// client down through TCP, as handling frames on the reader did; a bound of
// frames also bounds the memory they hold (MaxFrameBytes each).
const inboxSize = 4

// maxIdleWorkers is how many workers may wait for work at once; past it a
// worker ends, so idle memory stays bounded (a waiting worker's stack shrinks
// back at each garbage collection) while a busy server rarely starts a
// goroutine, whose stack would grow again to a command's depth.
const maxIdleWorkers = 512

// internalError is the close frame of a connection whose frame made the
// server fail.
var internalError = melody.FormatCloseMessage(1011, "internal error")

// inbound is one frame read from a client.
type inbound struct {
	raw    []byte
	binary bool
}

// receive queues a frame that melody read from c, blocking while c's inbox
// is full, and makes sure a worker handles it.
func (h *Hub) receive(c *client, raw []byte, binary bool) {
	c.unhandled.Add(1)
	c.inbox <- inbound{raw: raw, binary: binary}
	if c.working.CompareAndSwap(false, true) {
		h.schedule(c)
	}
}

// schedule gives c, whose inbox the caller now owns, to an idle worker or a
// new one.
func (h *Hub) schedule(c *client) {
	select {
	case h.runq <- c:
	default:
		go h.work(c)
	}
}

// work handles c's frames, then those of the connections it is given, until
// enough other workers are idle or the hub closes.
func (h *Hub) work(c *client) {
	for {
		h.drain(c)
		if h.idleWorkers.Add(1) > maxIdleWorkers {
			h.idleWorkers.Add(-1)
			return
		}
		select {
		case c = <-h.runq:
			h.idleWorkers.Add(-1)
		case <-h.stop:
			h.idleWorkers.Add(-1)
			return
		}
	}
}

// drain handles c's frames until its inbox is empty, then gives up the inbox.
func (h *Hub) drain(c *client) {
	for {
		select {
		case in := <-c.inbox:
			h.handle(c, in)
		default:
			c.working.Store(false)
			// A frame queued after the inbox looked empty, whose reader saw
			// working still set, is this worker's to handle, unless that
			// reader has scheduled another worker since.
			if len(c.inbox) == 0 || !c.working.CompareAndSwap(false, true) {
				return
			}
		}
	}
}

// handle handles one frame. A failure that escapes as a panic closes the
// connection and leaves the worker running.
func (h *Hub) handle(c *client, in inbound) {
	defer c.unhandled.Done()
	defer func() {
		if v := recover(); v != nil {
			h.logger.Error("websocket frame handling panicked", "conn", c.id, "panic", v, "stack", string(debug.Stack()))
			c.close(internalError)
		}
	}()
	if in.binary {
		h.binaryMessage(c)
		return
	}
	h.message(c, in.raw)
}
