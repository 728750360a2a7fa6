package routing

import (
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/domain"
)

// Encode turns a routing event into the data proposed to the store.
func Encode(id string, e Event, meta domain.Metadata) (domain.EventData, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return domain.EventData{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	meta.SchemaVersion = SchemaVersions[e.EventType()]
	return domain.EventData{ID: id, Type: e.EventType(), Data: data, Metadata: meta}, nil
}

// Decode turns a stored routing event back into an Event; other types
// decode to nil with no error. It uses encoding/json; the feed's hot path
// reads through eventschemas/storedjson, which gives the same events.
func Decode(rec domain.RecordedEvent) (Event, error) {
	switch rec.Type {
	case EventConversationQueued:
		return decodeAs[ConversationQueued](rec)
	case EventConversationAssigned:
		return decodeAs[ConversationAssigned](rec)
	case EventConversationUnassigned:
		return decodeAs[ConversationUnassigned](rec)
	case EventAgentStateChanged:
		return decodeAs[AgentStateChanged](rec)
	case EventAgentLeaseRenewed:
		return decodeAs[AgentLeaseRenewed](rec)
	case EventAgentClaimed:
		return decodeAs[AgentClaimed](rec)
	case EventAgentReleased:
		return decodeAs[AgentReleased](rec)
	}
	return nil, nil
}

func decodeAs[E Event](rec domain.RecordedEvent) (Event, error) {
	var e E
	if err := json.Unmarshal(rec.Data, &e); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", rec.Type, rec.ID, err)
	}
	return e, nil
}
