package storecontract

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

// waitFor bounds every wait in the suite: long enough for a loaded CI
// machine, short enough that a hang fails with a message, not a timeout.
const waitFor = 5 * time.Second

// newID returns a random (version 4) UUID in canonical form.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// streamName returns a stream name no other case uses.
func streamName(prefix string) string { return prefix + "-" + newID()[:8] }

// newEvents returns n events with fresh ids, distinct data and full metadata.
func newEvents(n int) []domain.EventData {
	evs := make([]domain.EventData, n)
	for i := range evs {
		id := newID()
		evs[i] = domain.EventData{
			ID:   id,
			Type: "test.something_happened.v1",
			Data: []byte(fmt.Sprintf(`{"n":%d,"id":%q}`, i, id)),
			Metadata: domain.Metadata{
				CorrelationID: "corr-" + id[:8],
				CausationID:   "cause-" + id[:8],
				SchemaVersion: 1 + i%3,
				Connection:    "conn-" + id[:4],
			},
		}
		// Every other event has an actor and a hash, as events stored
		// before they were recorded have neither (ADR 40).
		if i%2 == 0 {
			evs[i].Metadata.Actor = domain.Actor{Kind: domain.ActorStaff, ID: "key-" + id[:4]}
			evs[i].Metadata.Hash = fmt.Sprintf("%064x", i)
		}
	}
	return evs
}

func ids(evs []domain.EventData) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func recordedIDs(evs []domain.RecordedEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 4*waitFor)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(t *testing.T, s domain.EventStore, stream string, expected domain.ExpectedRevision,
	evs []domain.EventData) domain.AppendResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*waitFor)
	defer cancel()
	res, err := s.Append(ctx, stream, expected, evs)
	if err != nil {
		t.Fatalf("Append(%q, %s, %d events): %v", stream, expected, len(evs), err)
	}
	return res
}

func mustReadStream(t *testing.T, s domain.EventStore, stream string, from domain.Revision,
	max int) []domain.RecordedEvent {
	t.Helper()
	evs, err := s.ReadStream(testContext(t), stream, from, max)
	if err != nil {
		t.Fatalf("ReadStream(%q, %d, %d): %v", stream, from, max, err)
	}
	return evs
}

func mustReadAll(t *testing.T, s domain.EventStore, after domain.After, max int) []domain.RecordedEvent {
	t.Helper()
	evs, err := s.ReadAll(testContext(t), after, max)
	if err != nil {
		t.Fatalf("ReadAll(%d, %d): %v", after, max, err)
	}
	return evs
}

// streamLen reads the whole stream and returns its length, 0 when missing.
func streamLen(t *testing.T, s domain.EventStore, stream string) int {
	t.Helper()
	evs, err := s.ReadStream(testContext(t), stream, 0, 1<<20)
	if errors.Is(err, domain.ErrStreamNotFound) {
		return 0
	}
	if err != nil {
		t.Fatalf("ReadStream(%q): %v", stream, err)
	}
	return len(evs)
}

// checkEvent compares a stored event with what was appended.
func checkEvent(t *testing.T, got domain.RecordedEvent, want domain.EventData, stream string, rev domain.Revision) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.Stream != stream || got.Revision != rev {
		t.Errorf("event = {id %s type %s stream %s rev %d}, want {id %s type %s stream %s rev %d}",
			got.ID, got.Type, got.Stream, got.Revision, want.ID, want.Type, stream, rev)
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("event %s data = %.80q (%d bytes), want %.80q (%d bytes)",
			got.ID, got.Data, len(got.Data), want.Data, len(want.Data))
	}
	if got.Metadata != want.Metadata {
		t.Errorf("event %s metadata = %+v, want %+v", got.ID, got.Metadata, want.Metadata)
	}
	if got.Position == 0 {
		t.Errorf("event %s has position 0; stored events have positions > 0", got.ID)
	}
}

// checkRecorded checks the commit time: set, UTC, and close to now.
func checkRecorded(t *testing.T, e domain.RecordedEvent, before, after time.Time) {
	t.Helper()
	const skew = time.Minute // the store's clock may be another machine's
	if e.Recorded.Location() != time.UTC {
		t.Errorf("event %s Recorded %v is in %v, want UTC", e.ID, e.Recorded, e.Recorded.Location())
	}
	if e.Recorded.Before(before.Add(-skew)) || e.Recorded.After(after.Add(skew)) {
		t.Errorf("event %s Recorded %v, want between %v and %v", e.ID, e.Recorded, before, after)
	}
}

// requireWrongVersion checks err is a wrong expected version with the
// given actual state.
func requireWrongVersion(t *testing.T, err error, stream string, expected domain.ExpectedRevision,
	actual domain.Revision, noStream bool) {
	t.Helper()
	var wev *domain.WrongExpectedVersionError
	if !errors.As(err, &wev) {
		t.Fatalf("err = %v, want a *domain.WrongExpectedVersionError", err)
	}
	if got := domain.ErrorCode(err); got != domain.CodeWrongExpectedRev {
		t.Errorf("ErrorCode = %q, want %q", got, domain.CodeWrongExpectedRev)
	}
	if wev.Stream != stream || wev.Expected != expected || wev.ActualNoStream != noStream ||
		(!noStream && wev.Actual != actual) {
		t.Errorf("wrong version = {stream %q expected %s actual %d noStream %v}, "+
			"want {stream %q expected %s actual %d noStream %v}",
			wev.Stream, wev.Expected, wev.Actual, wev.ActualNoStream, stream, expected, actual, noStream)
	}
}

// checkOrder checks positions strictly increase and, when the store says
// so, have no gaps.
func checkOrder(t *testing.T, evs []domain.RecordedEvent, contiguous bool) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		prev, cur := evs[i-1].Position, evs[i].Position
		if cur <= prev {
			t.Fatalf("position of event %d is %d after %d; positions must strictly increase", i, cur, prev)
		}
		if contiguous && cur != prev+1 {
			t.Fatalf("position of event %d is %d after %d; the store declares contiguous positions", i, cur, prev)
		}
	}
}
