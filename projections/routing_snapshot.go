package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/parley-chat/parley/domain/routing"
)

// routingSnapshotVersion changes whenever the board's encoding below does;
// a snapshot of another version is refused and the board folded from the
// history.
const routingSnapshotVersion = 1

// RoutingState is the routing board as a snapshot holds it. Routing's
// board keeps every conversation it ever routed (the staff's list shows
// ended ones too), so a history of 100,000 routed conversations makes a
// state of 100,000 entries: it is written in a binary form of its own
// (uvarint-prefixed strings, times as Unix nanoseconds), which loads in a
// fraction of what JSON would take, and what was the whole fold at start.
type RoutingState struct {
	data  []byte
	board *routing.Board
}

// State returns a copy of the board. Called from the feed between two
// events, it is the fold up to the first of them, plus any routing event
// the router applied ahead of the feed: folding that again after a restore
// is a no-op, since the board applies each stream revision once.
func (r *Routing) State() *RoutingState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &RoutingState{data: encodeBoard(r.board)}
}

// Restore replaces the board with st's, before the feed starts.
func (r *Routing) Restore(st *RoutingState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st.board != nil {
		r.board = st.board
	}
}

// Conversations returns how many conversations the state holds.
func (st *RoutingState) Conversations() int {
	if st.board == nil {
		return 0
	}
	return len(st.board.Convs)
}

// MarshalBinary returns the encoded board.
func (st *RoutingState) MarshalBinary() ([]byte, error) { return st.data, nil }

// UnmarshalBinary decodes a board; it fails on another version or on
// bytes that do not decode whole.
func (st *RoutingState) UnmarshalBinary(data []byte) error {
	b, err := decodeBoard(data)
	if err != nil {
		return err
	}
	st.data, st.board = nil, b
	return nil
}

func encodeBoard(b *routing.Board) []byte {
	// Sized once for a typical entry: growing a buffer of megabytes by
	// doubling copies it over and over, under the board's lock.
	w := boardWriter{b: make([]byte, 0, 64+len(b.Agents)*128+len(b.Convs)*192)}
	w.uint(routingSnapshotVersion)
	w.uint(uint64(len(b.Agents)))
	for _, a := range b.Agents {
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
	w.uint(uint64(len(b.Convs)))
	for _, c := range b.Convs {
		t := &c.Ticket
		w.str(t.ConversationID)
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
	return w.b
}

func decodeBoard(data []byte) (*routing.Board, error) {
	r := boardReader{b: data, names: map[string]string{}}
	if v := r.uint(); r.err == nil && v != routingSnapshotVersion {
		return nil, fmt.Errorf("routing snapshot version %d, not %d: %w", v, routingSnapshotVersion, ErrSnapshotFormat)
	}
	b := routing.NewBoard()
	for n := r.count(); n > 0 && r.err == nil; n-- {
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
		b.Agents[a.ID] = a
	}
	n := r.count()
	if n > len(r.b)/16+1 { // an entry takes more than 16 bytes
		r.fail("conversation count")
		n = 0
	}
	b.Convs = make(map[string]*routing.Conv, n)
	// One allocation for every entry instead of one each: the board keeps
	// them all (ended ones too) for as long as the process runs.
	slab := make([]routing.Conv, n)
	for i := 0; i < n && r.err == nil; i++ {
		c := &slab[i]
		t := &c.Ticket
		t.ConversationID, t.Version, t.Status, t.Queue = r.str(), r.int(), r.name(), r.name()
		t.Agent, t.OfferedTo, t.HandedOffBy = r.name(), r.name(), r.name()
		t.Subject, t.Channel, t.QueuedAt = r.name(), r.name(), r.time()
		c.Started, c.Ended, c.CustomerWrote = r.bool(), r.bool(), r.bool()
		c.StartedAt, c.EndedAt, c.CustomerName = r.time(), r.time(), r.str()
		c.LastChatAt, c.LastActivityAt, c.ConvVersion = r.time(), r.time(), r.int()
		b.Convs[t.ConversationID] = c
		if c.Started && !c.Ended {
			b.Open[t.ConversationID] = c
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return nil, fmt.Errorf("routing snapshot: %w", r.err)
	}
	return b, nil
}

// noTime encodes the zero time, whose Unix nanoseconds do not exist.
const noTime = math.MinInt64

type boardWriter struct{ b []byte }

func (w *boardWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *boardWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *boardWriter) str(s string)  { w.uint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *boardWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}
func (w *boardWriter) time(t time.Time) {
	if t.IsZero() {
		w.int(noTime)
		return
	}
	w.int(t.UnixNano())
}

// boardReader decodes what boardWriter wrote; the first error sticks and
// every later read returns a zero value.
type boardReader struct {
	b   []byte
	err error
	// names interns the strings many entries share (queues, agents,
	// subjects, channels), so a restored board holds each once.
	names map[string]string
}

func (r *boardReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("bad %s", what)
	}
	r.b = nil
}

func (r *boardReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *boardReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length no longer than the bytes left could hold.
func (r *boardReader) count() int {
	v := r.uint()
	if v > uint64(len(r.b))+1 {
		r.fail("count")
		return 0
	}
	return int(v)
}

func (r *boardReader) bytes() []byte {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail("string")
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *boardReader) str() string { return string(r.bytes()) }

func (r *boardReader) name() string {
	s := r.bytes()
	if len(s) == 0 {
		return ""
	}
	if v, ok := r.names[string(s)]; ok {
		return v
	}
	v := string(s)
	r.names[v] = v
	return v
}

func (r *boardReader) bool() bool {
	if len(r.b) == 0 || r.b[0] > 1 {
		r.fail("flag")
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *boardReader) time() time.Time {
	v := r.int()
	if v == noTime || r.err != nil {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}
