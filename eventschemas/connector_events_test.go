package eventschemas_test

import (
	"testing"

	"github.com/parley-chat/parley/domain"
)

// connectorEvents returns the events a connector's registration and one
// acknowledged delivery store, encoded as the service encodes them.
func connectorEvents(tb testing.TB) []domain.EventData {
	tb.Helper()
	now := domain.FormatTime(testNow)
	var out []domain.EventData
	for _, e := range []domain.Event{
		domain.ConnectorRegistered{ID: "sms", Name: "SMS gateway", Channel: "sms", Connection: "0b5c3a7f-2d4e-4b9a-861c-2d8f3e5b7a10", Timestamp: now},
		domain.MessageDelivered{MessageID: richID, ConversationID: convID, Sequence: 5, Channel: "sms", Connector: "sms", Timestamp: now},
		// Not a connector's, but stored beside the others: the placeholder
		// a store repair writes for a damaged record.
		// The claim a node takes before it sends a delivery once.
		domain.Claimed{Holder: "0b5c3a7f-2d4e-4b9a-861c-2d8f3e5b7a10", Until: now, Timestamp: now},
		domain.LostInRepair{Position: 42, StreamKnown: true, Quarantine: "events.log.quarantine-1234-0a1b2c3d", DamagedOffset: 1234, DamagedBytes: 300},
	} {
		d, err := domain.EncodeEvent(newIDs()(), e, domain.Metadata{CorrelationID: "req-1"})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}
