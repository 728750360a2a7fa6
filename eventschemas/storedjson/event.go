package storedjson

import (
	"fmt"

	"github.com/parley-chat/parley/domain"
)

// EncodeEvent is domain.EncodeEvent with the fast path for messages: the
// same EventData, byte for byte, since AppendMessage writes what
// json.Marshal writes. Every stored message is encoded once on append.
func EncodeEvent(id string, e domain.Event, meta domain.Metadata) (domain.EventData, error) {
	m, ok := e.(domain.Message)
	if !ok {
		return domain.EncodeEvent(id, e, meta)
	}
	m.Sequence = nil // derived from the stream, never stored
	data, err := AppendMessage(nil, &m)
	if err != nil {
		return domain.EventData{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	meta.SchemaVersion = domain.SchemaVersions[e.EventType()]
	return domain.EventData{ID: id, Type: e.EventType(), Data: data, Metadata: meta}, nil
}

// DecodeEvent is domain.DecodeEvent with the fast path for messages in the
// plain form: the same Event, since DecodeMessage reads what json.Unmarshal
// reads or gives up. Every message of every conversation is decoded when
// the projections are rebuilt.
func DecodeEvent(rec domain.RecordedEvent) (domain.Event, error) {
	if rec.Type != domain.EventChatMessage && rec.Type != domain.EventActivityMessage {
		return domain.DecodeEvent(rec)
	}
	// Another schema version is domain.DecodeEvent's to refuse.
	if v := rec.Metadata.SchemaVersion; v != 0 && v != domain.SchemaVersions[rec.Type] {
		return domain.DecodeEvent(rec)
	}
	m, ok := DecodeMessage(rec.Data)
	if !ok {
		return domain.DecodeEvent(rec)
	}
	m.Type = rec.Type
	return m.WithSequence(rec.Revision), nil
}
