package esdbserver

import (
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errReadInvalidPosition is the real node's answer to a plain $all read
// (either direction) that starts inside a record: its read enumerator has no
// case for the storage layer's InvalidPosition result and ends in the default
// branch, which RpcExceptions.UnknownError turns into status Unknown. The
// message is the node's own, so an adapter can tell it from other failures.
var errReadInvalidPosition = status.Error(codes.Unknown, "Unexpected ReadAllResult: InvalidPosition")

// errSubscribeInvalidPosition is the answer to a $all subscription from
// inside a record: the subscription enumerators do handle InvalidPosition,
// as InvalidArgument.
var errSubscribeInvalidPosition = status.Error(codes.InvalidArgument, "Trying to read from an invalid position.")

// Read serves plain reads (count) and subscriptions, to a stream or to $all.
func (svc *streamsService) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "options are required")
	}
	if o.GetUuidOption() == nil {
		return status.Error(codes.InvalidArgument, "uuid_option is required")
	}
	if err := svc.server.available(srv.Context()); err != nil {
		return err
	}
	structured := o.GetUuidOption().GetString_() == nil
	f, err := filterFromProto(o.GetFilter())
	if err != nil {
		return err
	}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	switch o.GetCountOption().(type) {
	case *api.ReadReq_Options_Count:
		if o.GetStream() != nil {
			return svc.readStream(o, backwards, structured, srv)
		}
		if o.GetAll() != nil {
			return svc.readAll(o, f, backwards, structured, srv)
		}
	case *api.ReadReq_Options_Subscription:
		if backwards {
			return status.Error(codes.InvalidArgument, "subscriptions read forwards only")
		}
		if o.GetStream() != nil {
			return svc.subscribeStream(o.GetStream(), structured, srv)
		}
		if o.GetAll() != nil {
			return svc.subscribeAll(o.GetAll(), f, structured, srv)
		}
	default:
		return status.Error(codes.InvalidArgument, "count_option is required")
	}
	return status.Error(codes.InvalidArgument, "stream_option is required")
}

// readStream answers a stream read. A missing stream is a stream_not_found
// message and status OK, never an error; and nothing but events or that
// message may be sent, or the client panics.
func (svc *streamsService) readStream(o *api.ReadReq_Options, backwards, structured bool, srv api.Streams_ReadServer) error {
	so := o.GetStream()
	name := string(so.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return status.Error(codes.InvalidArgument, "stream name is required")
	}
	var from uint64
	fromEnd := false
	switch v := so.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		from = v.Revision
	case *api.ReadReq_Options_StreamOptions_End:
		fromEnd = true
	}
	if svc.server.db.isTombstoned(name) {
		return streamDeleted(srv.SetTrailer, name)
	}
	events, found := svc.server.db.readStream(name, from, fromEnd, backwards, o.GetCount())
	if !found {
		return srv.Send(streamNotFoundResp(name))
	}
	return sendAll(srv, events, structured)
}

// readAll answers a $all read: forwards inclusive of the start position,
// backwards exclusive of it. Unlike subscriptions it sends no checkpoints.
func (svc *streamsService) readAll(o *api.ReadReq_Options, f *filter, backwards, structured bool, srv api.Streams_ReadServer) error {
	var from uint64
	fromEnd := false
	switch v := o.GetAll().GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		if v.Position.GetCommitPosition() < v.Position.GetPreparePosition() {
			svc.server.refused.Add(1)
			return errReadInvalidPosition
		}
		from = v.Position.GetCommitPosition()
	case *api.ReadReq_Options_AllOptions_End:
		fromEnd = true
	}
	events, ok := svc.server.db.readAll(from, fromEnd, backwards, o.GetCount(), f.match)
	if !ok {
		svc.server.refused.Add(1)
		return errReadInvalidPosition
	}
	return sendAll(srv, events, structured)
}

func sendAll(srv api.Streams_ReadServer, events []*record, structured bool) error {
	for _, r := range events {
		if err := srv.Context().Err(); err != nil {
			return status.FromContextError(err).Err()
		}
		if err := srv.Send(eventResp(r, structured)); err != nil {
			return err
		}
	}
	return nil
}
