package esdbserver_test

import (
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

// binaryEvent is the event the client's tests append: four bytes of data
// and four of metadata.
func binaryEvent() esdb.EventData {
	return esdb.EventData{EventType: "TestEvent", ContentType: esdb.ContentTypeBinary, EventID: uuid.New(),
		Data: []byte{0xb, 0xe, 0xe, 0xf}, Metadata: []byte{0xd, 0xe, 0xa, 0xd}}
}

// fill appends n events to stream in appends of up to 500.
func fill(t *testing.T, c *esdb.Client, stream string, n int) {
	t.Helper()
	for done := 0; done < n; {
		k := min(500, n-done)
		mustAppend(t, c, stream, esdb.Any{}, jsonEvents("e", k)...)
		done += k
	}
}

// checkRead compares read events with the appended ones: ids, types,
// revisions from first by step, creation time, equal positions, content.
func checkRead(t *testing.T, got []*esdb.ResolvedEvent, want []esdb.EventData, first, step int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i, re := range got {
		e := re.OriginalEvent()
		if e.EventID != want[i].EventID || e.EventType != want[i].EventType || e.EventNumber != uint64(first+i*step) ||
			e.ContentType != "application/json" || e.CreatedDate.IsZero() || e.Position.Commit != e.Position.Prepare || e.Position.Commit == 0 {
			t.Fatalf("event %d = %+v, want %s at revision %d", i, e, want[i].EventID, first+i*step)
		}
	}
}

func nextEvent(t *testing.T, sub *esdb.Subscription) *esdb.RecordedEvent {
	t.Helper()
	for {
		e := next(t, sub)
		switch {
		case e.EventAppeared != nil:
			return e.EventAppeared.OriginalEvent()
		case e.SubscriptionDropped != nil:
			t.Fatalf("subscription dropped: %v", e.SubscriptionDropped.Error)
		}
	}
}

func countEvents(t *testing.T, sub *esdb.Subscription, n int) {
	t.Helper()
	for i := range n {
		if e := nextEvent(t, sub); e.EventNumber != uint64(i) {
			t.Fatalf("event %d has revision %d", i, e.EventNumber)
		}
	}
}
