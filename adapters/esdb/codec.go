package esdb

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
)

// wireMetadata is the JSON stored as an event's custom metadata. The
// correlation and causation ids use EventStoreDB's own keys, so that its
// projections ($by_correlation_id) and UI understand them.
type wireMetadata struct {
	CorrelationID string `json:"$correlationId,omitempty"`
	CausationID   string `json:"$causationId,omitempty"`
	SchemaVersion int    `json:"schemaVersion"`
	Connection    string `json:"connection,omitempty"`
	TraceID       string `json:"traceId,omitempty"`
	KeyID         string `json:"keyId,omitempty"`
	// Actor and Hash are who acted and the event's link in its stream's
	// hash chain (ADR 40), under the names the domain gives them.
	Actor domain.Actor `json:"actor,omitzero"`
	Hash  string       `json:"hash,omitempty"`
	// RecordedAt is the original recorded time of a migrated event
	// (RFC 3339, UTC). EventStoreDB stamps "created" itself and cannot be
	// told otherwise, so the original time travels here (ADR 7).
	RecordedAt string `json:"recordedAt,omitempty"`
}

func encodeMetadata(m domain.Metadata, recorded time.Time) ([]byte, error) {
	w := wireMetadata{
		CorrelationID: m.CorrelationID,
		CausationID:   m.CausationID,
		SchemaVersion: m.SchemaVersion,
		Connection:    m.Connection,
		TraceID:       m.TraceID,
		KeyID:         m.KeyID,
		Actor:         m.Actor,
		Hash:          m.Hash,
	}
	if !recorded.IsZero() {
		w.RecordedAt = recorded.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(w)
}

// decodeMetadata is lenient: events written by other tools may carry other
// or no metadata, and that must not make the stream unreadable. recorded is
// the original time of a migrated event, zero for any other.
func decodeMetadata(b []byte) (m domain.Metadata, recorded time.Time) {
	var w wireMetadata
	if len(b) == 0 || json.Unmarshal(b, &w) != nil {
		return domain.Metadata{}, time.Time{}
	}
	if w.RecordedAt != "" {
		if t, err := time.Parse(time.RFC3339Nano, w.RecordedAt); err == nil {
			recorded = t.UTC()
		}
	}
	return domain.Metadata{
		CorrelationID: w.CorrelationID,
		CausationID:   w.CausationID,
		SchemaVersion: w.SchemaVersion,
		Connection:    w.Connection,
		TraceID:       w.TraceID,
		KeyID:         w.KeyID,
		Actor:         w.Actor,
		Hash:          w.Hash,
	}, recorded
}

// toEventData validates and converts events for the client. Ids must be
// UUIDs: EventStoreDB keys idempotency on them, and a missing id would be
// replaced by a random one, silently breaking retries.
func toEventData(events []domain.EventData) ([]esdb.EventData, error) {
	out := make([]esdb.EventData, len(events))
	for i, e := range events {
		id, err := uuid.Parse(e.ID)
		if err != nil || id == uuid.Nil {
			return nil, domain.FieldError(domain.CodeInvalid, "id", "event id %q is not a UUID", e.ID)
		}
		if e.Type == "" {
			return nil, domain.FieldError(domain.CodeInvalid, "type", "event %s has no type", e.ID)
		}
		meta, err := encodeMetadata(e.Metadata, e.Recorded)
		if err != nil {
			return nil, &domain.Error{Code: domain.CodeInvalid, Message: "unencodable metadata", Err: err}
		}
		data := e.Data
		if data == nil {
			data = []byte{}
		}
		out[i] = esdb.EventData{
			EventID:     id,
			EventType:   e.Type,
			ContentType: esdb.ContentTypeJson,
			Data:        data,
			Metadata:    meta,
		}
	}
	return out, nil
}

// fromResolved converts a read or delivered event.
func fromResolved(re *esdb.ResolvedEvent) domain.RecordedEvent {
	e := re.Event
	pos := e.Position.Commit
	if pos == 0 && re.Commit != nil {
		pos = *re.Commit
	}
	meta, recorded := decodeMetadata(e.UserMetadata)
	if recorded.IsZero() {
		recorded = e.CreatedDate.UTC()
	}
	return domain.RecordedEvent{
		ID:       e.EventID.String(),
		Stream:   e.StreamID,
		Type:     e.EventType,
		Revision: e.EventNumber,
		Position: pos,
		Data:     e.Data,
		Metadata: meta,
		Recorded: recorded,
	}
}

// isSystem tells events that reads and subscriptions of all streams skip:
// EventStoreDB's own streams ($settings, $$metadata streams, projections'
// $ce-/$et- streams) and types ($metadata, link events $>).
func isSystem(e *esdb.RecordedEvent) bool {
	return strings.HasPrefix(e.StreamID, "$") || strings.HasPrefix(e.EventType, "$")
}
