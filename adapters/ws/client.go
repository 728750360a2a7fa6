package ws

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/olahol/melody"
	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/domain"
)

const clientKey = "parley.client"

// client is the state of one websocket connection.
type client struct {
	id      string // also stored as the connection of the events it causes
	hub     *Hub
	session *melody.Session
	// principal is who the connection's upgrade credentials prove.
	principal domain.Principal
	limiter   *rate.Limiter
	// pending counts frames queued for writing and not yet written.
	pending atomic.Int64
	dropped atomic.Bool

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
	// cursor is the last sequence this member was given; guarded by the
	// room's lock.
	cursor int64
}

func clientOf(s *melody.Session) *client { return s.MustGet(clientKey).(*client) }

// send queues a frame. A client that lets more than the configured number of
// frames pile up is disconnected with CloseSlowReader rather than silently
// skipped: it reconnects and resumes from its last sequence.
func (c *client) send(b []byte) {
	if c.dropped.Load() {
		return
	}
	if c.pending.Add(1) > int64(c.hub.cfg.OutboundBuffer) {
		c.pending.Add(-1)
		if c.dropped.CompareAndSwap(false, true) {
			c.hub.logger.Warn("disconnecting slow websocket reader", "conn", c.id)
			_ = c.session.CloseWithMsg(melody.FormatCloseMessage(CloseSlowReader, "too slow: reconnect and resume"))
		}
		return
	}
	if err := c.session.Write(b); err != nil {
		c.pending.Add(-1)
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
