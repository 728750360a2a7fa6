package ws

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olahol/melody"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
	"github.com/parley-chat/parley/projections"
)

// The way out of the engine, one event at a time: the live feed hands a
// stored event to its room (Deliver), each member that may see it gets the
// stored bytes as a frame on its socket's queue (sendAppended), and melody's
// write of that frame reaches the connection together with the frames
// queued behind it (batchConn).

// delivery is one stored event on its way to its room, with the message it
// stores, if it stores one.
type delivery struct {
	rec   domain.RecordedEvent
	msg   domain.Message
	isMsg bool
	err   error // the event does not decode
}

// storedDelivery returns the delivery of an event read from the store.
func storedDelivery(rec domain.RecordedEvent) delivery {
	d := delivery{rec: rec}
	if isMessage(rec.Type) {
		e, err := storedjson.DecodeEvent(rec)
		d.msg, d.isMsg = e.(domain.Message)
		d.err = err
	}
	return d
}

func isMessage(eventType string) bool {
	return eventType == domain.EventChatMessage || eventType == domain.EventActivityMessage
}

// Deliver hands one event of the live feed to the members of its
// conversation on this process, on the feed's goroutine. Delivering is
// cheap (the frame is the stored bytes with the sequence spliced in, queued
// for each socket's writer), so a hand-over to another goroutine would cost
// more than it spares; the feed goes one event at a time, which keeps each
// room's events in stream order.
func (h *Hub) Deliver(ctx context.Context, fe *projections.FeedEvent) error {
	id, ok := domain.ConversationIDOf(fe.Stream)
	if !ok {
		return nil
	}
	h.mu.Lock()
	r := h.rooms[id]
	h.mu.Unlock()
	if r == nil {
		return nil // nobody here: a later join reads what it needs from the store
	}
	// The feed's decoding, usually already done for the conversation's
	// view, is shared rather than repeated.
	d := delivery{rec: fe.RecordedEvent}
	if isMessage(fe.Type) {
		e, err := fe.Event()
		d.msg, d.isMsg = e.(domain.Message)
		d.err = err
	}
	if err := h.deliverRoom(ctx, r, d); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the feed is stopping: not a delivery failure
		}
		// One room's failure (a gap the store could not fill) does not
		// stop the feed for every other consumer.
		h.logger.Error("deliver to websocket room", "stream", d.rec.Stream, "sequence", d.rec.Revision, "err", err)
	}
	return nil
}

// deliverRoom sends one event to the members of its room. Events reach each
// room in stream order; a gap (an event the feed skipped) is filled from
// the store first.
func (h *Hub) deliverRoom(ctx context.Context, r *room, d delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rev := int64(d.rec.Revision)
	if rev <= r.last {
		return nil
	}
	if rev > r.last+1 {
		missing, err := h.read(ctx, r.id, r.last+1, rev-r.last-1)
		if err != nil {
			return err
		}
		for _, m := range missing {
			h.deliverLocked(r, storedDelivery(m))
		}
	}
	return h.deliverLocked(r, d)
}

// deliverLocked sends one event to every member that has not seen it and may.
func (h *Hub) deliverLocked(r *room, d delivery) error {
	rev := int64(d.rec.Revision)
	r.last = rev
	if d.err != nil {
		return d.err
	}
	var b []byte
	for m := range r.members {
		if rev <= m.cursor {
			continue
		}
		m.cursor = rev
		if !d.isMsg || d.rec.Metadata.Connection == m.client.id || !d.msg.VisibleTo(m.who.ID, m.who.Role) {
			continue
		}
		if b == nil {
			b = storedMessageFrame(d.rec.Data, d.rec.Revision, d.msg)
		}
		m.client.sendAppended(b, d.rec.Recorded)
	}
	return nil
}

// send queues a frame. A client that lets more than the configured number of
// frames pile up is disconnected with CloseSlowReader rather than silently
// skipped: it reconnects and resumes from its last sequence.
func (c *client) send(b []byte) { c.sendAppended(b, time.Time{}) }

// sendAppended queues b, the frame of a message stored at appended, for
// writing, so that the time from append to write can be measured.
func (c *client) sendAppended(b []byte, appended time.Time) {
	if c.dropped.Load() {
		return
	}
	if c.pending.Add(1) > int64(c.hub.cfg.OutboundBuffer) {
		c.pending.Add(-1)
		if c.dropped.CompareAndSwap(false, true) {
			c.hub.logger.Warn("disconnecting slow websocket reader", "conn", c.id)
			c.close(melody.FormatCloseMessage(CloseSlowReader, "too slow: reconnect and resume"))
		}
		return
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closing != nil {
		c.pending.Add(-1)
		return
	}
	if len(c.backlog) > 0 || c.inMelody >= c.hub.sendWindow {
		if c.session.IsClosed() {
			// melody stopped writing: nothing would take it out.
			c.pending.Add(-1)
			return
		}
		c.backlog = append(c.backlog, b)
		c.appended = append(c.appended, appended)
		return
	}
	c.inMelody++
	c.batch.queue(1)
	if err := c.session.Write(b); err != nil {
		c.inMelody--
		c.batch.queue(-1)
		c.pending.Add(-1)
		return
	}
	c.appended = append(c.appended, appended)
}

// sent records that melody wrote a frame, and gives it the next waiting one.
func (c *client) sent() {
	c.writeMu.Lock()
	var appended time.Time
	if len(c.appended) > 0 {
		appended = c.appended[0]
		c.appended = c.appended[1:]
	}
	c.inMelody--
	c.batch.queue(-1)
	if len(c.backlog) > 0 {
		b := c.backlog[0]
		c.backlog[0] = nil
		c.backlog = c.backlog[1:]
		c.inMelody++
		c.batch.queue(1)
		if err := c.session.Write(b); err != nil {
			// Closed: nothing waiting will be written.
			c.inMelody--
			c.batch.queue(-1)
			c.pending.Add(-1 - int64(len(c.backlog)))
			c.backlog = c.backlog[:0]
			c.appended = nil
		}
		if len(c.backlog) == 0 {
			c.backlog = nil
			if c.closing != nil {
				_ = c.session.CloseWithMsg(c.closing)
			}
		}
	}
	c.writeMu.Unlock()
	c.pending.Add(-1)
	if !appended.IsZero() && c.hub.cfg.OnMessageWritten != nil {
		c.hub.cfg.OnMessageWritten(time.Since(appended))
	}
}

// close closes the connection with the close frame msg, sent after the
// frames queued before it. Only the first close counts.
func (c *client) close(msg []byte) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closing != nil {
		return
	}
	c.closing = msg
	if len(c.backlog) == 0 {
		_ = c.session.CloseWithMsg(msg)
	}
}

// ack answers a frame that asked for it.
func (c *client) ack(ack json.RawMessage, data any) {
	if len(ack) > 0 {
		c.send(encodeFrame(EventAck, ack, data))
	}
}

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
