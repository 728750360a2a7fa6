package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/domain/routing"
)

// routingSnapshotVersion changes whenever the board's encoding below does;
// a snapshot of another version is refused and the board folded from the
// history. Version 2 writes the ended conversations after the open ones, in
// a section of their own, so that a start can serve before decoding them.
const routingSnapshotVersion = 2

// RoutingState is the routing board as a snapshot holds it. Routing's
// board keeps every conversation it ever routed (the staff's list shows
// ended ones too), so a history of 100,000 routed conversations makes a
// state of 100,000 entries: it is written in a binary form of its own
// (uvarint-prefixed strings, times as Unix nanoseconds), which loads in a
// fraction of what JSON would take. The agents and the conversations not
// ended come first; the ended ones, most of a long history, follow as a
// section that Restore decodes on a goroutine of its own (ADR 44).
type RoutingState struct {
	data []byte
	// err is why State could not copy a whole board.
	err   error
	board *routing.Board
	// ended is the ended section, undecoded, holding endedCount entries
	// (openCount are on board), whose ids are endedOrder, in their order,
	// and endedIDs; names is the decoder's interned strings, carried over
	// to it.
	ended                 []byte
	endedIDs              map[string]struct{}
	endedOrder            []string
	openCount, endedCount int
	names                 map[string]string
}

// State returns a copy of the board. Called from the feed between two
// events, it is the fold up to the first of them, plus any routing event
// the router applied ahead of the feed: folding that again after a restore
// is a no-op, since the board applies each stream revision once. After a
// Restore it first waits until the snapshot's ended conversations are on
// the board, so a snapshot is never taken of a part of it.
func (r *Routing) State() *RoutingState {
	if err := r.waitRestored(context.Background()); err != nil {
		return &RoutingState{err: err}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return &RoutingState{data: encodeBoard(r.board)}
}

// Conversations returns how many conversations the state holds, ended
// ones included.
func (st *RoutingState) Conversations() int {
	return st.openCount + st.endedCount
}

// MarshalBinary returns the encoded board, or why there is none.
func (st *RoutingState) MarshalBinary() ([]byte, error) { return st.data, st.err }

// UnmarshalBinary decodes the agents and the open conversations, and keeps
// the ended section of data for Restore; it fails on another version or on
// a first part that does not decode whole. Unlike what
// encoding.BinaryUnmarshaler asks, it keeps data rather than a copy:
// SnapshotFile.Load hands it a buffer of its own, and a copy would add 14 MB
// per 100,000 ended conversations to what a start first touches, on
// machines that back memory lazily the costliest part of serving (ADR 44).
func (st *RoutingState) UnmarshalBinary(data []byte) error {
	dec, err := decodeBoard(data)
	if err != nil {
		return err
	}
	*st = *dec
	return nil
}

func encodeBoard(b *routing.Board) []byte {
	// Sized once for a typical entry: growing a buffer of megabytes by
	// doubling copies it over and over, under the board's lock.
	w := boardWriter{b: make([]byte, 0, 64+len(b.Agents)*128+len(b.Convs)*192)}
	w.uint(routingSnapshotVersion)
	w.uint(uint64(len(b.Agents)))
	for _, a := range b.Agents {
		w.agent(a)
	}
	// One pass over the map, which costs more than the slices after it.
	open := make([]*routing.Conv, 0, len(b.Open))
	ended := make([]*routing.Conv, 0, len(b.Convs)-len(b.Open))
	for _, c := range b.Convs {
		if c.Ended {
			ended = append(ended, c)
		} else {
			open = append(open, c)
		}
	}
	w.uint(uint64(len(open)))
	for _, c := range open {
		w.conv(c, true)
	}
	// The ended ones' ids come first, so that a start knows which
	// conversations are still to come before it decodes them; the entries
	// follow in the same order, without them.
	w.uint(uint64(len(ended)))
	for _, c := range ended {
		w.str(c.ConversationID)
	}
	for _, c := range ended {
		w.conv(c, false)
	}
	return w.b
}

func (w *boardWriter) agent(a *routing.Agent) {
	w.str(a.ID)
	w.int(a.Version)
	w.str(a.State)
	if a.Queues == nil {
		w.uint(0)
	} else {
		w.uint(uint64(len(a.Queues)) + 1)
		for _, q := range a.Queues {
			w.str(q)
		}
	}
	w.int(int64(a.Capacity))
	w.time(a.LeaseUntil)
	w.time(a.IdleSince)
	w.bool(a.Lapsed)
	w.uint(uint64(len(a.Claims)))
	for conv, at := range a.Claims {
		w.str(conv)
		w.time(at)
	}
}

// conv writes c; withID false leaves out its id, written before.
func (w *boardWriter) conv(c *routing.Conv, withID bool) {
	t := &c.Ticket
	if withID {
		w.str(t.ConversationID)
	}
	w.int(t.Version)
	w.str(t.Status)
	w.str(t.Queue)
	w.str(t.Agent)
	w.str(t.OfferedTo)
	w.str(t.HandedOffBy)
	w.str(t.Subject)
	w.str(t.Channel)
	w.time(t.QueuedAt)
	w.bool(c.Started)
	w.bool(c.Ended)
	w.bool(c.CustomerWrote)
	w.time(c.StartedAt)
	w.time(c.EndedAt)
	w.str(c.CustomerName)
	w.time(c.LastChatAt)
	w.time(c.LastActivityAt)
	w.int(c.ConvVersion)
}

// decodeBoard decodes the agents and the open section of data into a
// board, and returns it with the ended section still encoded.
func decodeBoard(data []byte) (*RoutingState, error) {
	r := boardReader{b: data, names: map[string]string{}}
	if v := r.uint(); r.err == nil && v != routingSnapshotVersion {
		return nil, fmt.Errorf("routing snapshot version %d, not %d: %w", v, routingSnapshotVersion, ErrSnapshotFormat)
	}
	b := routing.NewBoard()
	for n := r.count(); n > 0 && r.err == nil; n-- {
		a := r.agent()
		b.Agents[a.ID] = a
	}
	open := r.convs(false, r.entries(), nil)
	ended := r.entries()
	order := make([]string, 0, ended)
	ids := make(map[string]struct{}, ended)
	for i := 0; i < ended && r.err == nil; i++ {
		id := r.str()
		order = append(order, id)
		ids[id] = struct{}{}
	}
	if r.err != nil {
		return nil, fmt.Errorf("routing snapshot: %w", r.err)
	}
	// Sized for the ended ones too, so that adding them later does not
	// grow the map under the board's lock.
	b.Convs = make(map[string]*routing.Conv, len(open)+ended)
	for i := range open {
		c := &open[i]
		b.Convs[c.ConversationID] = c
		if c.Started {
			b.Open[c.ConversationID] = c
		}
	}
	return &RoutingState{board: b, ended: r.b, endedIDs: ids, endedOrder: order, openCount: len(open), endedCount: ended, names: r.names}, nil
}

// decodeEnded decodes the ended section UnmarshalBinary kept.
func (st *RoutingState) decodeEnded() ([]routing.Conv, error) {
	r := boardReader{b: st.ended, names: st.names}
	convs := r.convs(true, st.endedCount, st.endedOrder)
	if r.err == nil && len(r.b) > 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return nil, fmt.Errorf("routing snapshot, ended conversations: %w", r.err)
	}
	return convs, nil
}

func (r *boardReader) agent() *routing.Agent {
	a := routing.NewAgent(r.str())
	a.Version, a.State = r.int(), r.name()
	if q := r.count(); q > 0 {
		a.Queues = make([]string, 0, q-1)
		for i := 1; i < q && r.err == nil; i++ {
			a.Queues = append(a.Queues, r.name())
		}
	}
	a.Capacity, a.LeaseUntil, a.IdleSince, a.Lapsed = int(r.int()), r.time(), r.time(), r.bool()
	for k := r.count(); k > 0 && r.err == nil; k-- {
		conv := r.str()
		a.Claims[conv] = r.time()
	}
	return a
}

// entries reads a count of conversations, which the bytes left must be
// able to hold: an entry takes more than 16 bytes.
func (r *boardReader) entries() int {
	n := r.count()
	if n > len(r.b)/16+1 {
		r.fail("conversation count")
		return 0
	}
	return n
}

// convs decodes n conversations of a section, all ended or none, with ids
// when they were written without; one
// allocation for every entry instead of one each, since the board keeps
// them for as long as the process runs.
func (r *boardReader) convs(ended bool, n int, ids []string) []routing.Conv {
	slab := make([]routing.Conv, n)
	for i := 0; i < n && r.err == nil; i++ {
		c := &slab[i]
		t := &c.Ticket
		if ids != nil {
			t.ConversationID = ids[i]
		} else {
			t.ConversationID = r.str()
		}
		t.Version, t.Status, t.Queue = r.int(), r.name(), r.name()
		t.Agent, t.OfferedTo, t.HandedOffBy = r.name(), r.name(), r.name()
		t.Subject, t.Channel, t.QueuedAt = r.name(), r.name(), r.time()
		c.Started, c.Ended, c.CustomerWrote = r.bool(), r.bool(), r.bool()
		c.StartedAt, c.EndedAt, c.CustomerName = r.time(), r.time(), r.str()
		c.LastChatAt, c.LastActivityAt, c.ConvVersion = r.time(), r.time(), r.int()
		if c.Ended != ended {
			r.fail("section of a conversation")
		}
	}
	return slab
}
