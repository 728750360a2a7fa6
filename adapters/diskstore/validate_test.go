package diskstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

func TestAppendRejectsInvalidInput(t *testing.T) {
	s := mustOpen(t, t.TempDir(), diskstore.Options{MaxAppendBytes: 4096})
	withEvent := func(change func(*domain.EventData)) []domain.EventData {
		evs := benchEvents(2)
		change(&evs[1])
		return evs
	}
	cases := map[string]struct {
		stream string
		events []domain.EventData
		code   domain.Code
		field  string
	}{
		"empty stream":   {"", benchEvents(1), domain.CodeInvalid, "stream"},
		"no events":      {"conversation-1", nil, domain.CodeInvalid, "events"},
		"empty type":     {"conversation-1", withEvent(func(e *domain.EventData) { e.Type = "" }), domain.CodeInvalid, "events[1].type"},
		"id not a uuid":  {"conversation-1", withEvent(func(e *domain.EventData) { e.ID = "msg-42" }), domain.CodeInvalid, "events[1].id"},
		"id braced":      {"conversation-1", withEvent(func(e *domain.EventData) { e.ID = "{" + e.ID[1:35] + "}" }), domain.CodeInvalid, "events[1].id"},
		"id not hex":     {"conversation-1", withEvent(func(e *domain.EventData) { e.ID = "g" + e.ID[1:] }), domain.CodeInvalid, "events[1].id"},
		"over max bytes": {"conversation-1", withEvent(func(e *domain.EventData) { e.Data = make([]byte, 5000) }), domain.CodeTooLarge, "events"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := s.Append(t.Context(), c.stream, domain.Any(), c.events)
			var derr *domain.Error
			if !errors.As(err, &derr) || derr.Code != c.code || derr.Field != c.field {
				t.Fatalf("Append: err = %v, want code %s on field %s", err, c.code, c.field)
			}
		})
	}
	if _, err := s.ReadAll(t.Context(), 0, 0); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("ReadAll with max 0: err = %v, want %s", err, domain.CodeInvalid)
	}
	if _, err := s.ReadStream(t.Context(), "conversation-1", 0, -1); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("ReadStream with max -1: err = %v, want %s", err, domain.CodeInvalid)
	}
}

// TestIDsCompareWithoutCase stores upper-case ids in canonical lower case,
// so that a retry spelled either way is recognised, as EventStoreDB's Guids are.
func TestIDsCompareWithoutCase(t *testing.T) {
	s := mustOpen(t, t.TempDir(), diskstore.Options{})
	evs := benchEvents(1)
	upper := evs[0]
	upper.ID = strings.ToUpper(upper.ID)
	first, err := s.Append(t.Context(), "conversation-1", domain.NoStream(), []domain.EventData{upper})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(t.Context(), "conversation-1", domain.NoStream(), evs)
	if err != nil || again != first {
		t.Fatalf("lower-case retry = %+v, %v; want the original %+v", again, err, first)
	}
	got, err := s.ReadStream(t.Context(), "conversation-1", 0, 10)
	if err != nil || len(got) != 1 || got[0].ID != evs[0].ID {
		t.Fatalf("stored ids = %v, %v; want [%s]", got, err, evs[0].ID)
	}
}
