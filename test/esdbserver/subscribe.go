package esdbserver

import (
	"math"
	"slices"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// batchSize bounds how many events a subscription takes from the log under
// one lock.
const batchSize = 256

// Subscriptions read the log through a cursor and sleep on the log's
// changed channel, taken under the same lock as each batch. That gives what
// the real node gets by registering its live listener before catching up:
// no event committed during catch-up is missed and none is sent twice.

// streamSince returns events of stream from revision from on, and the
// channel closed at the next commit.
func (d *db) streamSince(stream string, from uint64, limit int) ([]*record, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	evs := d.streams[stream]
	if from >= uint64(len(evs)) {
		return nil, d.changed
	}
	return slices.Clone(evs[from:min(uint64(len(evs)), from+uint64(limit))]), d.changed
}

// logSince returns $all events from index i on.
func (d *db) logSince(i, limit int) ([]*record, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i >= len(d.log) {
		return nil, d.changed
	}
	return slices.Clone(d.log[i:min(len(d.log), i+limit)]), d.changed
}

// cursorAfter returns the $all index of the first event after position p.
func (d *db) cursorAfter(p uint64) (i int, valid bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, found := slices.BinarySearchFunc(d.log, p, func(r *record, p uint64) int { return cmpU64(r.position, p) })
	if found {
		i++
	}
	return i, d.validPosition(p)
}

func (d *db) lengths(stream string) (streamLen uint64, logLen int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return uint64(len(d.streams[stream])), len(d.log)
}

// subscribeStream sends confirmation, the events after the start revision,
// caught_up, then live events. A missing stream is simply waited for.
func (svc *streamsService) subscribeStream(so *api.ReadReq_Options_StreamOptions, structured bool, srv api.Streams_ReadServer) error {
	name := string(so.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return status.Error(codes.InvalidArgument, "stream name is required")
	}
	gen := svc.server.generation()
	var next uint64
	switch v := so.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		next = v.Revision + 1 // subscriptions are exclusive of their start
		if v.Revision == math.MaxUint64 {
			next = v.Revision
		}
	case *api.ReadReq_Options_StreamOptions_End:
		next, _ = svc.server.db.lengths(name)
	}
	// Confirmation comes first, before any catch-up, or the client gives up.
	if err := srv.Send(confirmationResp(uuid.NewString())); err != nil {
		return err
	}
	caughtUp := false
	for {
		batch, changed := svc.server.db.streamSince(name, next, batchSize)
		if err := sendAll(srv, batch, structured); err != nil {
			return err
		}
		next += uint64(len(batch))
		if len(batch) == batchSize {
			continue
		}
		if !caughtUp {
			if err := srv.Send(caughtUpResp()); err != nil {
				return err
			}
			caughtUp = true
		}
		if err := svc.wait(srv, gen, changed); err != nil {
			return err
		}
		if streamLen, _ := svc.server.db.lengths(name); streamLen > next && streamLen-next > uint64(svc.server.cfg.liveBuffer) {
			caughtUp = false // fell behind, as for $all
		}
	}
}

// allSub is the state of one $all subscription.
type allSub struct {
	f          *filter
	considered uint64 // since the last checkpoint
	checkpoint uint64 // last event sent, or the start position
	hasCheck   bool   // false from Start until something is sent
	sentCheck  uint64
	hasSent    bool
}

// subscribeAll sends confirmation, the matching events after the start
// position, for a filtered subscription a checkpoint every interval and one
// at the end of catch-up, caught_up, then live events and checkpoints.
func (svc *streamsService) subscribeAll(ao *api.ReadReq_Options_AllOptions, f *filter, structured bool, srv api.Streams_ReadServer) error {
	if f != nil && f.checkpointEvery == 0 {
		return status.Error(codes.InvalidArgument, "checkpoint interval must be positive")
	}
	gen := svc.server.generation()
	sub := &allSub{f: f}
	next, valid := 0, true
	switch v := ao.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		p := v.Position.GetCommitPosition()
		next, valid = svc.server.db.cursorAfter(p)
		sub.checkpoint, sub.hasCheck = p, true
	case *api.ReadReq_Options_AllOptions_End:
		_, next = svc.server.db.lengths("")
	}
	if err := srv.Send(confirmationResp(uuid.NewString())); err != nil {
		return err
	}
	if !valid {
		// The real node confirms first and fails once catch-up reads.
		svc.server.refused.Add(1)
		return errSubscribeInvalidPosition
	}
	_, logLen := svc.server.db.lengths("")
	// With nothing to catch up, the real node goes live at once and skips
	// the end-of-catch-up checkpoint.
	catchUpCheckpoint := f != nil && next < logLen
	caughtUp := false
	for {
		batch, changed := svc.server.db.logSince(next, batchSize)
		for _, r := range batch {
			if err := sub.consider(srv, r, structured); err != nil {
				return err
			}
		}
		next += len(batch)
		if len(batch) == batchSize {
			continue
		}
		if !caughtUp {
			if catchUpCheckpoint {
				pos, send := sub.checkpoint, true
				if !sub.hasCheck {
					// What 24.10 sends when nothing was sent from Start; 25.0 sends nothing.
					pos, send = math.MaxUint64, svc.server.cfg.sendsMaxCheckpoint()
				}
				if send {
					if err := sub.sendCheckpoint(srv, pos); err != nil {
						return err
					}
				}
			}
			if err := srv.Send(caughtUpResp()); err != nil {
				return err
			}
			caughtUp = true
		}
		if err := svc.wait(srv, gen, changed); err != nil {
			return err
		}
		if _, logLen := svc.server.db.lengths(""); logLen-next > svc.server.cfg.liveBuffer {
			// More arrived than the node's live buffer holds: it falls
			// behind, catches up from its log and says caught_up again.
			caughtUp, catchUpCheckpoint = false, f != nil
		}
	}
}

// consider sends r if it matches and a checkpoint when the interval is up.
func (s *allSub) consider(srv api.Streams_ReadServer, r *record, structured bool) error {
	if s.f.match(r) {
		if err := srv.Send(eventResp(r, structured)); err != nil {
			return err
		}
		s.checkpoint, s.hasCheck = r.position, true
	}
	if s.f == nil {
		return nil
	}
	s.considered++
	if s.considered < s.f.checkpointEvery {
		return nil
	}
	s.considered = 0
	if !s.hasCheck || s.checkpoint < r.position {
		s.checkpoint, s.hasCheck = r.position, true
	}
	return s.sendCheckpoint(srv, s.checkpoint)
}

// sendCheckpoint never repeats or goes back, like the real node's transport.
func (s *allSub) sendCheckpoint(srv api.Streams_ReadServer, pos uint64) error {
	if s.hasSent && pos <= s.sentCheck {
		return nil
	}
	s.sentCheck, s.hasSent = pos, true
	return srv.Send(checkpointResp(pos))
}

// wait blocks until the log changes, the caller leaves, or the server drops
// its subscriptions or shuts down.
func (svc *streamsService) wait(srv api.Streams_ReadServer, gen *generation, changed <-chan struct{}) error {
	select {
	case <-changed:
		return nil
	case <-srv.Context().Done():
		return status.FromContextError(srv.Context().Err()).Err()
	case <-gen.done:
		return gen.err
	}
}
