package diskstore

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley/domain"
)

// preallocBytes is how far ahead of the last frame the writer keeps the
// log's blocks written with zeros.
const preallocBytes = 1 << 20

// appendReq is one Append on its way to the writer. The caller encodes the
// frames; the writer decides, seals, writes and answers on done.
type appendReq struct {
	ctx      context.Context
	stream   string
	expected domain.ExpectedRevision
	evs      []reqEvent
	buf      []byte // the frames, unsealed
	done     chan appendResp

	resp appendResp
}

// reqEvent is what the writer needs of one event besides its frame. The
// caller's EventData is not kept: the caller may reuse it once it gives up.
type reqEvent struct {
	id      string // canonical lower-case form
	typ     string
	meta    domain.Metadata
	start   int // where the frame starts in buf
	dataLen int
	// stamp is the recorded time the caller gave (unix ns), kept instead of
	// the group's commit time when keepStamp is set.
	stamp     int64
	keepStamp bool
}

type appendResp struct {
	res domain.AppendResult
	err error
}

// writerState belongs to the writer goroutine alone.
type writerState struct {
	nextPos domain.Position
	end     int64 // where the next frame goes
	// allocEnd is the file's size: end plus the zeros written ahead of it.
	allocEnd int64
	buf      []byte
	offs     []int64 // where each written frame starts in buf
	stamp    int64   // the group's commit time, unix ns
	// commitTime is a moving average of how long a group takes to write
	// and sync.
	commitTime time.Duration
	reqs       []*appendReq
	// pending holds what this group adds to each stream, so that appends
	// later in the group see the effect of earlier ones before commit.
	pending map[string]*pendingStream
	written []domain.RecordedEvent
	// kept is how many bytes each written event's data keeps alive (its
	// share of its append's buffer), for the cache's bound.
	kept    []int
	streams []string
	// retry fires while appends are paused (pause.go), retryWait apart.
	retry     *time.Timer
	retryWait time.Duration
}

type pendingStream struct {
	base      uint64 // committed events when the group started
	ids       []string
	positions []domain.Position
}

// prepare decides one append against the committed state plus the group so
// far and, when it is to be written, adds its sealed frames to the group.
func (s *Store) prepare(req *appendReq) {
	w := &s.w
	w.reqs = append(w.reqs, req)
	// Not usable(): appends submitted before Close are still written.
	if f := s.failed.Load(); f != nil {
		req.resp.err = *f
		return
	}
	if p := s.paused.Load(); p != nil {
		req.resp.err = *p
		return
	}
	if err := req.ctx.Err(); err != nil {
		// The caller gave up before anything was written: keep it that way.
		req.resp.err = err
		return
	}
	ps := w.stream(s.idx, req.stream)
	res, write, err := s.decide(ps, req)
	if !write {
		req.resp = appendResp{res: res, err: err}
		return
	}
	if len(w.written) == 0 {
		w.stamp = s.opts.Now().UnixNano()
	}
	rev := ps.base + uint64(len(ps.ids))
	for i := range req.evs {
		frame := req.buf[req.evs[i].start:req.frameEnd(i)]
		off := len(w.buf)
		w.buf = append(w.buf, frame...)
		w.offs = append(w.offs, int64(off))
		var flags byte
		if i == len(req.evs)-1 {
			flags = flagCommit
		}
		stamp := w.stamp
		if req.evs[i].keepStamp {
			stamp = req.evs[i].stamp
		}
		seal(w.buf[off:], flags, w.nextPos, rev, stamp)
		ps.ids = append(ps.ids, req.evs[i].id)
		ps.positions = append(ps.positions, w.nextPos)
		w.written = append(w.written, req.recorded(i, rev, w.nextPos, stamp))
		w.kept = append(w.kept, cap(req.buf)/len(req.evs))
		w.streams = append(w.streams, req.stream)
		w.nextPos++
		rev++
	}
	req.resp.res = domain.AppendResult{NextRevision: rev - 1, Position: w.nextPos - 1}
}

func (req *appendReq) frameEnd(i int) int {
	if i+1 < len(req.evs) {
		return req.evs[i+1].start
	}
	return len(req.buf)
}

// recorded builds the committed form of event i for the cache without
// decoding the frame. Data aliases req.buf, which nobody writes any more.
func (req *appendReq) recorded(i int, rev domain.Revision, pos domain.Position, stamp int64) domain.RecordedEvent {
	end, ev := req.frameEnd(i), &req.evs[i]
	return domain.RecordedEvent{
		ID:       ev.id,
		Stream:   req.stream,
		Type:     ev.typ,
		Revision: rev,
		Position: pos,
		Data:     req.buf[end-ev.dataLen : end : end],
		Metadata: ev.meta,
		Recorded: time.Unix(0, stamp).UTC(),
	}
}

// stream returns the group's view of a stream, creating it on first use.
func (w *writerState) stream(x *index, name string) *pendingStream {
	ps, ok := w.pending[name]
	if !ok {
		ps = &pendingStream{base: x.streamLen(name)}
		w.pending[name] = ps
	}
	return ps
}

// commit writes and syncs the group, publishes it to readers, and only then
// answers every append in it. A group whose write or sync fails is answered
// with that error, every append in it alike, since they share the write;
// what that means for the log is in commitGroup.
func (s *Store) commit() {
	w := &s.w
	defer w.reset()
	if len(w.buf) > 0 {
		if err := s.commitGroup(); err != nil {
			for _, r := range w.reqs {
				r.resp = appendResp{err: err}
			}
		} else {
			s.publish()
		}
	}
	for _, r := range w.reqs {
		r.done <- r.resp
	}
}

// commitGroup writes the group's records and syncs them. A failed write is
// undone before it is answered (see undo), so that an error always means
// "not stored". A failed sync stops the store: after a failed fsync the
// kernel may have dropped the dirty pages, so what is on disk is unknown.
func (s *Store) commitGroup() error {
	w := &s.w
	if _, err := s.writeAt(w.buf, w.end); err != nil {
		return s.undo(fmt.Errorf("write: %w", err))
	}
	if end := w.end + int64(len(w.buf)); end > w.allocEnd {
		// Zeros written ahead (and synced with this group) spare the next
		// groups' fdatasyncs a journal commit for the file's new size and
		// blocks: about a fifth of their cost on ext4 (see ADR 0002).
		if err := s.preallocate(end); err != nil {
			// The group's records are written; only the room after them
			// is missing. They are synced and acknowledged as usual, and
			// the appends after them wait until there is room again.
			s.pause(fmt.Errorf("preallocate: %w", err))
		}
	}
	if err := s.sync(); err != nil {
		s.fail(fmt.Errorf("fdatasync: %w", err))
		return *s.failed.Load()
	}
	return nil
}

// preallocate writes preallocBytes of zeros at off, the end of the records.
func (s *Store) preallocate(off int64) error {
	w := &s.w
	if _, err := s.writeAt(preallocZeros[:], off); err != nil {
		// Some of the zeros may be written; they read as the end of the
		// log, and the next records overwrite them.
		w.allocEnd = off
		return err
	}
	w.allocEnd = off + preallocBytes
	return nil
}

// preallocZeros is what preallocate writes; nobody writes to it.
var preallocZeros [preallocBytes]byte

func (s *Store) fail(cause error) {
	err := error(&domain.Error{Code: domain.CodeUnavailable,
		Message: "the event store's log failed on its disk (a sync, or a write it could not undo) and it takes no more appends; restart Parley to recover",
		Err: fmt.Errorf("diskstore: the event log failed and the store takes no more appends; "+
			"reopen it to recover: %w: %w", domain.ErrUnavailable, cause)})
	s.failed.CompareAndSwap(nil, &err)
	s.opts.Logger.Error("diskstore: event log write failed; appends stopped until the store is reopened",
		"dir", s.dir, "error", cause)
}

// publish makes the synced group visible: index first, so that a caller
// reading after its Append returns sees its events, then the cache, then a
// wake-up for subscribers waiting on these streams.
func (s *Store) publish() {
	w := &s.w
	x := s.idx
	x.mu.Lock()
	for i := range w.written {
		x.add(w.streams[i], w.end+w.offs[i])
	}
	w.end += int64(len(w.buf))
	x.end = w.end
	x.mu.Unlock()
	s.cache.add(w.written, w.kept)
	s.notify.publish(w.streams)
	if s.checkpointDue(w.end) {
		s.requestCheckpoint()
	}
}

func (w *writerState) reset() {
	w.buf = w.buf[:0]
	w.offs = w.offs[:0]
	clear(w.reqs)
	w.reqs = w.reqs[:0]
	clear(w.pending)
	clear(w.written)
	w.written = w.written[:0]
	w.kept = w.kept[:0]
	w.streams = w.streams[:0]
}
