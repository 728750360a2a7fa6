package projections

import (
	"bytes"
	"testing"

	"github.com/parley-chat/parley/domain"
)

func recent(stream string, rev domain.Revision, data string) domain.RecordedEvent {
	return domain.RecordedEvent{Stream: stream, Revision: rev, Position: domain.Position(rev + 1), Data: []byte(data)}
}

// The events kept are a whole conversation from its first event, or
// nothing: never one seen from the middle, with a gap, or partly evicted.
func TestRecentEvents(t *testing.T) {
	r := newRecentEvents(4 * (recordOverhead + 10))
	buf := []byte("0123456789")
	r.add(domain.RecordedEvent{Stream: "a", Revision: 0, Data: buf[:5]})
	r.add(recent("a", 1, "aaaaa"))
	r.add(recent("late", 3, "lllll"))
	r.add(recent("gap", 0, "ggggg"))
	r.add(recent("gap", 2, "ggggg"))
	r.add(recent("gap", 3, "ggggg"))
	copy(buf, "XXXXX")

	if got := r.take("late"); got != nil {
		t.Errorf("a conversation seen from revision 3: kept %d events", len(got))
	}
	if got := r.take("gap"); got != nil {
		t.Errorf("a conversation with a gap: kept %d events", len(got))
	}
	got := r.take("a")
	if len(got) != 2 || got[0].Revision != 0 || got[1].Revision != 1 {
		t.Fatalf("take(a) = %+v", got)
	}
	if !bytes.Equal(got[0].Data, []byte("01234")) {
		t.Errorf("kept data %q changed with the store's buffer", got[0].Data)
	}
	if r.take("a") != nil || r.size != 0 || r.age.Len() != 0 {
		t.Errorf("after take: size %d, %d conversations", r.size, r.age.Len())
	}

	// Over budget, the conversation kept longest goes first, whole; its
	// later events are not kept either.
	for rev := range domain.Revision(3) {
		r.add(recent("old", rev, "oooooooooo"))
	}
	r.add(recent("new", 0, "nnnnnnnnnn"))
	r.add(recent("new", 1, "nnnnnnnnnn"))
	r.add(recent("old", 3, "oooooooooo"))
	if got := r.take("old"); got != nil {
		t.Errorf("an evicted conversation: kept %d events", len(got))
	}
	if got := r.take("new"); len(got) != 2 {
		t.Errorf("the newer conversation: kept %d events, want 2", len(got))
	}
	if r.size != 0 {
		t.Errorf("size %d with nothing kept", r.size)
	}
}
