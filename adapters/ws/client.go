package ws

import (
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
	// in melody's queue so that it can write them together (outbound.go);
	// nil on transports that are not melody's.
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
