package ws

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olahol/melody"
	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/domain"
)

const clientKey = "parley.client"

// client is the state of one websocket connection.
type client struct {
	id      string // also stored as the connection of the events it causes
	hub     *Hub
	session sink
	// principal is who the connection's upgrade credentials prove.
	principal domain.Principal
	limiter   *rate.Limiter
	// pending counts frames queued for writing and not yet written.
	pending atomic.Int64
	dropped atomic.Bool
	// writeMu orders the frames queued for writing: at most the hub's
	// sendWindow of them are in melody's queue, the rest wait in backlog
	// until melody has written one. closing is the close frame to send
	// once the backlog is written; frames queued after it are dropped, as
	// melody drops those after a close frame.
	writeMu  sync.Mutex
	inMelody int
	backlog  [][]byte
	closing  []byte
	// batch is the connection melody writes to, told how many frames are
	// in melody's queue so that it can write them together (batch.go); nil
	// on transports that are not melody's.
	batch *batchConn
	// appended holds, in the order they are written, the append times of
	// the frames in melody's queue and in backlog: the time a message was
	// stored for a messageArrived frame, zero for any other frame.
	appended []time.Time

	// inbox holds the frames read and not yet handled, in the order they
	// arrived; working is set while a worker owns the inbox; unhandled
	// counts the frames read and not yet handled.
	inbox     chan inbound
	working   atomic.Bool
	unhandled sync.WaitGroup

	mu     sync.Mutex
	joined map[string]*member // by conversation id
	// channel is set once the connection registered as a channel's connector.
	channel string
}

// connectorChannel returns the channel the connection serves, or "".
func (c *client) connectorChannel() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.channel
}

// member is a client joined to one conversation as one participant.
type member struct {
	client *client
	conv   string
	who    domain.Participant // with its role
	// actor is who the member's commands are recorded as (ADR 40): the
	// credential it joined with, or the participant when nothing is proven.
	actor domain.Actor
	// cursor is the last sequence this member was given; guarded by the
	// room's lock.
	cursor int64
	// joined is the cursor at the join: conversationInfo and its pages
	// cover the messages up to it, live delivery those after it. Set once,
	// before the member handles its next frame.
	joined int64
}

func clientOf(s *melody.Session) *client { return s.MustGet(clientKey).(*client) }

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

// membership returns the member of conversation conv, or the only one when
// conv is empty.
func (c *client) membership(conv string) *member {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conv == "" && len(c.joined) == 1 {
		for _, m := range c.joined {
			return m
		}
	}
	return c.joined[conv]
}

func (c *client) addMembership(m *member) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.joined[m.conv]; ok {
		return false
	}
	c.joined[m.conv] = m
	return true
}

func (c *client) removeMembership(conv string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.joined, conv)
}

func (c *client) leaveAll() []*member {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*member, 0, len(c.joined))
	for _, m := range c.joined {
		out = append(out, m)
	}
	c.joined = map[string]*member{}
	return out
}
