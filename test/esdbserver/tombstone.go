package esdbserver

import (
	"context"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Tombstone deletes a stream for good, as the real node's hard delete does:
// from then on reading or appending to it fails with FailedPrecondition
// and the stream-deleted trailers, and so does a second tombstone. Like the
// real node before a scavenge, the server keeps the deleted events' bytes
// in its log; reads of $all still skip nothing (a tombstoned user stream's
// events stay visible there until a scavenge, which this server never runs).
func (svc *streamsService) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	if err := svc.server.available(ctx); err != nil {
		return nil, err
	}
	o := req.GetOptions()
	name := string(o.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return nil, status.Error(codes.InvalidArgument, "stream name is required")
	}
	setTrailer := func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) }
	pos, outcome := svc.server.db.tombstone(name, tombstoneExpectation(o))
	switch outcome {
	case tombstoneDeleted:
		return nil, streamDeleted(setTrailer, name)
	case tombstoneWrongVersion:
		setTrailer(metadata.Pairs("exception", "wrong-expected-version", "stream-name", name))
		return nil, status.Error(codes.FailedPrecondition, "wrong expected version")
	}
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{
		CommitPosition: pos, PreparePosition: pos,
	}}}, nil
}

func tombstoneExpectation(o *api.TombstoneReq_Options) expectation {
	switch v := o.GetExpectedStreamRevision().(type) {
	case *api.TombstoneReq_Options_NoStream:
		return expectation{kind: expectNoStream}
	case *api.TombstoneReq_Options_StreamExists:
		return expectation{kind: expectStreamExists}
	case *api.TombstoneReq_Options_Revision:
		return expectation{kind: expectRevision, revision: v.Revision}
	}
	return expectation{kind: expectAny}
}

type tombstoneOutcome uint8

const (
	tombstoneDone tombstoneOutcome = iota
	tombstoneDeleted
	tombstoneWrongVersion
)

// tombstone marks stream deleted when exp holds and returns the position of
// the tombstone record.
func (d *db) tombstone(stream string, exp expectation) (uint64, tombstoneOutcome) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tombstoned[stream] {
		return 0, tombstoneDeleted
	}
	stored, exists := d.streams[stream]
	cur := int64(len(stored)) - 1
	ok := true
	switch exp.kind {
	case expectNoStream:
		ok = !exists || cur < 0
	case expectStreamExists:
		ok = exists && cur >= 0
	case expectRevision:
		ok = exists && cur >= 0 && uint64(cur) == exp.revision
	}
	if !ok {
		return 0, tombstoneWrongVersion
	}
	pos := d.end
	d.bounds = append(d.bounds, pos)
	d.end += recordSize(stream, "$streamDeleted", nil, nil)
	d.tombstoned[stream] = true
	d.notify()
	return pos, tombstoneDone
}

func (d *db) isTombstoned(stream string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tombstoned[stream]
}

// Tombstoned reports whether stream was deleted with a tombstone.
func (s *Server) Tombstoned(stream string) bool { return s.db.isTombstoned(stream) }

// streamDeleted is the node's answer to a call on a tombstoned stream: the
// client needs the stream-name trailer beside the exception, or it panics.
func streamDeleted(setTrailer func(metadata.MD), stream string) error {
	setTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
}
