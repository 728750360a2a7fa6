package esdbserver

import (
	"context"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/google/uuid"
)

// GetSupportedMethods lists, in the real node's lower-case form, only what
// this server implements; listing batchappend would switch on a client
// feature flag for a method that is not there.
func (f featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const streamsService = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: f.version,
		Methods: []*serverfeatures.SupportedMethod{
			{MethodName: "read", ServiceName: streamsService},
			{MethodName: "append", ServiceName: streamsService},
			{MethodName: "getsupportedmethods", ServiceName: "event_store.client.server_features.serverfeatures"},
		},
	}, nil
}

// seed writes the system events of WithSystemEvents.
func (s *Server) seed() {
	newID := func() eventID {
		u := uuid.New()
		return eventID{}.fromUUID(u)
	}
	anyRevision := expectation{kind: expectAny}
	s.db.append("$settings", anyRevision, []proposal{{
		id: newID(), typ: "$settings", json: true,
		data: []byte(`{"$userStreamAcl":{"$r":"$all","$w":"$all"},"$systemStreamAcl":{"$r":"$admins","$w":"$admins"}}`),
	}})
	s.db.append("$$seed", anyRevision, []proposal{{
		id: newID(), typ: "$metadata", json: true,
		data: []byte(`{"$maxCount":100}`),
	}})
	s.db.append("seed-links", anyRevision, []proposal{{
		id: newID(), typ: "$>", json: false,
		data: []byte("0@seed"),
	}})
}
