package storedjson_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// TestDecodeRoutingMatchesEncodingJSON checks that the scanning decoder
// reads what the router writes exactly as encoding/json does, and that data
// it cannot scan (escapes, other spacing) is still decoded.
func TestDecodeRoutingMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 123456789, time.UTC)
	events := []routing.Event{
		routing.ConversationQueued{ConversationID: "c1", Queue: "billing", Reason: routing.ReasonHandOff, OfferedTo: "bob", HandedOffBy: "ann", Subject: "Bills", Channel: "web", Timestamp: at},
		routing.ConversationQueued{ConversationID: "c1", Queue: "default", Reason: routing.ReasonNew, Subject: "caf\u00e9 \"quoted\"", Timestamp: at},
		routing.ConversationAssigned{ConversationID: "c1", AgentID: "ann", Queue: "billing", WaitedMs: 1234, Candidates: []string{"ann", "bob"}, Previous: "carl", Timestamp: at},
		routing.ConversationAssigned{ConversationID: "c1", AgentID: "ann", Queue: "billing", Timestamp: at},
		routing.AgentClaimed{AgentID: "ann", ConversationID: "c1", Timestamp: at},
		routing.AgentReleased{AgentID: "ann", ConversationID: "c1", Reason: "ended", Timestamp: at.Add(time.Second)},
		routing.AgentStateChanged{AgentID: "ann", State: routing.StateReady, Queues: []string{"billing"}, Capacity: 3, LeaseUntil: at, Timestamp: at},
	}
	for _, e := range events {
		d, err := routing.Encode("id", e, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		for _, data := range [][]byte{d.Data, indent(t, d.Data)} {
			rec := domain.RecordedEvent{Type: d.Type, Data: data}
			got, err := storedjson.DecodeRouting(rec)
			if err != nil {
				t.Fatal(err)
			}
			want, err := routing.Decode(rec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s decoded as %+v\nencoding/json %+v\nwant %+v", data, got, want, e)
			}
		}
	}
}

func indent(t *testing.T, data []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
