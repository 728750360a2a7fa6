package esdbserver

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultMaxAppendSize is the real node's default limit on the total data of
// one append (1 MiB, its --max-append-size).
const DefaultMaxAppendSize = 1 << 20

// Append implements the client-streaming append: one options message, then
// one message per proposed event.
func (svc *streamsService) Append(srv api.Streams_AppendServer) error {
	first, err := srv.Recv()
	if err != nil {
		return recvError(err)
	}
	// Read the whole request before deciding anything else: returning while
	// the client still sends makes it lose our status and trailers. The one
	// exception is the node's own: it counts each event towards the append
	// limit as it arrives and refuses the append at once when it is over,
	// so a client with more to send sees only its stream closed (the Go
	// client reports "could not send append request", EOF).
	var msgs []*api.AppendReq_ProposedMessage
	malformed := false
	size := 0
	for {
		m, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return recvError(err)
		}
		pm := m.GetProposedMessage()
		if pm == nil {
			malformed = true
			continue
		}
		msgs = append(msgs, pm)
		size += AppendSize(svc.server.cfg.version, pm.GetMetadata()[keyType], pm.GetCustomMetadata(), pm.GetData())
		if size > svc.server.cfg.maxAppendSize {
			srv.SetTrailer(metadata.Pairs(
				"exception", "maximum-append-size-exceeded",
				"maximum-append-size", strconv.Itoa(svc.server.cfg.maxAppendSize)))
			return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", svc.server.cfg.maxAppendSize)
		}
	}
	opts := first.GetOptions()
	if opts == nil || malformed {
		return status.Error(codes.InvalidArgument, "the first append message must be the options and only the first")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	if stream == "" {
		return status.Error(codes.InvalidArgument, "stream name is required")
	}
	exp, ok := expectationFromProto(opts)
	if !ok {
		return status.Error(codes.InvalidArgument, "expected_stream_revision is required")
	}
	events, err := svc.proposals(srv, msgs)
	if err != nil {
		return err
	}
	if err := svc.server.available(srv.Context()); err != nil {
		return err
	}
	if err := svc.server.notLeader(srv); err != nil {
		return err
	}
	if svc.server.db.isTombstoned(stream) {
		return streamDeleted(srv.SetTrailer, stream)
	}
	outcome := svc.server.db.append(stream, exp, events)
	if !outcome.ok {
		return srv.SendAndClose(wrongVersionResp(exp, outcome))
	}
	return srv.SendAndClose(appendSuccess(outcome))
}

func expectationFromProto(opts *api.AppendReq_Options) (expectation, bool) {
	switch v := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Any:
		return expectation{kind: expectAny}, true
	case *api.AppendReq_Options_NoStream:
		return expectation{kind: expectNoStream}, true
	case *api.AppendReq_Options_StreamExists:
		return expectation{kind: expectStreamExists}, true
	case *api.AppendReq_Options_Revision:
		return expectation{kind: expectRevision, revision: v.Revision}, true
	}
	return expectation{}, false
}

// proposals validates the proposed events the way the real node does,
// including its status codes and trailers.
func (svc *streamsService) proposals(srv api.Streams_AppendServer, msgs []*api.AppendReq_ProposedMessage) ([]proposal, error) {
	events := make([]proposal, 0, len(msgs))
	for _, m := range msgs {
		typ, hasType := m.GetMetadata()[keyType]
		contentType, hasContentType := m.GetMetadata()[keyContentType]
		if !hasType || !hasContentType {
			missing := keyType
			if hasType {
				missing = keyContentType
			}
			srv.SetTrailer(metadata.Pairs(
				"exception", "missing-required-metadata-property",
				"required-metadata-properties", keyType+","+keyContentType))
			return nil, status.Errorf(codes.InvalidArgument, "Required Metadata Property '%s' is missing", missing)
		}
		id, ok := idFromProto(m.GetId())
		// The real node throws on a nil id or an empty type, which surfaces
		// as status Unknown.
		if !ok || id == (eventID{}) {
			return nil, status.Error(codes.Unknown, "event id must be a non-empty UUID")
		}
		if typ == "" {
			return nil, status.Error(codes.Unknown, "event type must not be empty")
		}
		events = append(events, proposal{
			id:       id,
			typ:      typ,
			json:     contentType == contentJSON,
			metadata: m.GetCustomMetadata(),
			data:     m.GetData(),
		})
	}
	return events, nil
}

// recvError turns a failed Recv into the status the client should see.
func recvError(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "append request is empty")
	}
	return status.Error(codes.Unknown, fmt.Sprint(err))
}
