package ws

import (
	"context"
	"fmt"
	"sync"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// room is the set of this process's members of one conversation.
type room struct {
	id string
	// mu orders delivery: events reach a room one at a time, in stream
	// order, and joins register under the same lock. Lock order: Hub.mu,
	// then room.mu.
	mu      sync.Mutex
	members map[*member]struct{}
	// last is the sequence of the last event the live feed gave this room.
	last int64
}

// joinRoom registers m in its room with the index x, which is current, and
// sends the member its conversationInfo: the newest messages, or with since
// the oldest after it. Events after x.Version reach it through Deliver; any
// that the room saw already are read from the store.
func (h *Hub) joinRoom(ctx context.Context, m *member, x *projections.Index, since int64, ack []byte) error {
	h.mu.Lock()
	r := h.rooms[m.conv]
	if r == nil {
		r = &room{id: m.conv, members: map[*member]struct{}{}, last: x.Version}
		h.rooms[m.conv] = r
	}
	// Taking the room's lock before releasing the hub's keeps leaveRoom from
	// dropping this room from the map before the member is in it.
	r.mu.Lock()
	h.mu.Unlock()
	defer r.mu.Unlock()

	if r.last > x.Version {
		extra, err := h.read(ctx, m.conv, x.Version+1, r.last-x.Version)
		if err != nil {
			return err
		}
		for _, rec := range extra {
			if err := x.Apply(rec); err != nil {
				return err
			}
		}
	}
	m.cursor, m.joined = x.Version, x.Version
	pg := x.Select(projections.Query{Viewer: &m.who, Since: since, Before: -1, Limit: h.cfg.MaxInfoMessages})
	info, err := h.infoFrame(ctx, m, pg)
	if err != nil {
		return err
	}
	r.members[m] = struct{}{}
	m.client.send(info)
	if len(ack) > 0 {
		m.client.send(encodeFrame(EventAck, ack, joinAck{ConversationID: m.conv, Participant: m.who, Sequence: m.joined}))
	}
	return nil
}

// leaveRoom removes m from its room, and the room when it is empty.
func (h *Hub) leaveRoom(m *member) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[m.conv]
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, m)
	if len(r.members) == 0 {
		delete(h.rooms, m.conv)
	}
}

// relay sends a frame that is not stored (typing) to the other members of
// conv on this process that may see msg.
func (h *Hub) relay(from *member, msg domain.Message) {
	h.mu.Lock()
	r := h.rooms[from.conv]
	h.mu.Unlock()
	if r == nil {
		return
	}
	b := encodeFrame(EventMessageArrived, nil, msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	for m := range r.members {
		if m.client != from.client && msg.VisibleTo(m.who.ID, m.who.Role) {
			m.client.send(b)
		}
	}
}

// roomSize returns how many connections of this process joined conv.
func (h *Hub) roomSize(conv string) int {
	h.mu.Lock()
	r := h.rooms[conv]
	h.mu.Unlock()
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

// read returns n events of conversation id from sequence from.
func (h *Hub) read(ctx context.Context, id string, from, n int64) ([]domain.RecordedEvent, error) {
	recs, err := h.store.ReadStream(ctx, domain.StreamName(id), domain.Revision(from), int(n))
	if err != nil {
		return nil, fmt.Errorf("fill delivery gap in %s: %w", id, err)
	}
	return recs, nil
}
