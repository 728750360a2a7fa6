package esdbserver

import (
	"encoding/binary"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
)

// Metadata keys and content types of the wire protocol.
const (
	keyType        = "type"
	keyContentType = "content-type"
	keyCreated     = "created"
	contentJSON    = "application/json"
	contentBinary  = "application/octet-stream"
)

// idFromProto accepts both UUID encodings, as the real node does.
func idFromProto(u *shared.UUID) (eventID, bool) {
	if s := u.GetStructured(); s != nil {
		return eventID{hi: s.MostSignificantBits, lo: s.LeastSignificantBits}, true
	}
	if str := u.GetString_(); str != "" {
		parsed, err := uuid.Parse(str)
		if err != nil {
			return eventID{}, false
		}
		return eventID{}.fromUUID(parsed), true
	}
	return eventID{}, false
}

func (eventID) fromUUID(u uuid.UUID) eventID {
	return eventID{
		hi: int64(binary.BigEndian.Uint64(u[:8])),
		lo: int64(binary.BigEndian.Uint64(u[8:])),
	}
}

func (id eventID) uuid() uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[:8], uint64(id.hi))
	binary.BigEndian.PutUint64(u[8:], uint64(id.lo))
	return u
}

func (id eventID) toProto(structured bool) *shared.UUID {
	if !structured {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.uuid().String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  id.hi,
		LeastSignificantBits: id.lo,
	}}}
}

// eventResp encodes r the way a 24.10 node does. The stream identifier must
// never be nil and "created" must be integer ticks: the client panics or
// exits the process otherwise.
func eventResp(r *record, structured bool) *api.ReadResp {
	contentType := contentBinary
	if r.json {
		contentType = contentJSON
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               r.id.toProto(structured),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.position,
			CommitPosition:   r.position,
			Metadata: map[string]string{
				keyType:        r.typ,
				keyContentType: contentType,
				keyCreated:     strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: nonNil(r.metadata),
			Data:           nonNil(r.data),
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.position},
	}}}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func streamNotFoundResp(stream string) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)},
	}}}
}

func confirmationResp(id string) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Confirmation{
		Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: id},
	}}
}

func checkpointResp(pos uint64) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Checkpoint_{
		Checkpoint: &api.ReadResp_Checkpoint{CommitPosition: pos, PreparePosition: pos},
	}}
}

func caughtUpResp() *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}
}

// appendSuccess and wrongVersionResp fill the current fields the Go client
// reads and the legacy 20.6 fields other clients read, like the real node.
func appendSuccess(o appendOutcome) *api.AppendResp {
	s := &api.AppendResp_Success{
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: o.position, PreparePosition: o.position,
		}},
	}
	if o.current < 0 {
		s.CurrentRevisionOption = &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		s.CurrentRevisionOption = &api.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(o.current)}
	}
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: s}}
}

func wrongVersionResp(exp expectation, o appendOutcome) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	switch exp.kind {
	case expectAny:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case expectStreamExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case expectNoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
		// The real node encodes the legacy "no stream" as -1 cast to ulong.
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: ^uint64(0)}
	case expectRevision:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.revision}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: exp.revision}
	}
	if o.current < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(o.current)}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(o.current)}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}
