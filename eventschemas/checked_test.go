package eventschemas_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/eventschemas"
)

// fakeStore is a domain.EventStore whose behaviour each test sets.
type fakeStore struct {
	AppendFn            func(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error)
	ReadStreamFn        func(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error)
	ReadAllFn           func(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error)
	SubscribeToStreamFn func(ctx context.Context, stream string, from domain.Revision, h domain.Handler, opts domain.SubscribeOptions) error
	SubscribeToAllFn    func(ctx context.Context, after domain.After, filter domain.Filter, h domain.Handler, opts domain.SubscribeOptions) error
	PingFn              func(ctx context.Context) error
	CloseFn             func() error
}

var _ domain.EventStore = (*fakeStore)(nil)

func (s *fakeStore) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	return s.AppendFn(ctx, stream, expected, events)
}

func (s *fakeStore) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	return s.ReadStreamFn(ctx, stream, from, max)
}

func (s *fakeStore) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
	return s.ReadAllFn(ctx, after, max)
}

func (s *fakeStore) SubscribeToStream(ctx context.Context, stream string, from domain.Revision, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.SubscribeToStreamFn(ctx, stream, from, h, opts)
}

func (s *fakeStore) SubscribeToAll(ctx context.Context, after domain.After, filter domain.Filter, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.SubscribeToAllFn(ctx, after, filter, h, opts)
}

func (s *fakeStore) Ping(ctx context.Context) error { return s.PingFn(ctx) }
func (s *fakeStore) Close() error                   { return s.CloseFn() }

// replaying returns a fake whose every read path serves recs.
func replaying(recs []domain.RecordedEvent) *fakeStore {
	deliver := func(ctx context.Context, h domain.Handler) error {
		for _, rec := range recs {
			if err := h(ctx, rec); err != nil {
				return err
			}
		}
		return nil
	}
	return &fakeStore{
		ReadStreamFn: func(context.Context, string, domain.Revision, int) ([]domain.RecordedEvent, error) { return recs, nil },
		ReadAllFn:    func(context.Context, domain.After, int) ([]domain.RecordedEvent, error) { return recs, nil },
		SubscribeToStreamFn: func(ctx context.Context, _ string, _ domain.Revision, h domain.Handler, _ domain.SubscribeOptions) error {
			return deliver(ctx, h)
		},
		SubscribeToAllFn: func(ctx context.Context, _ domain.After, _ domain.Filter, h domain.Handler, _ domain.SubscribeOptions) error {
			return deliver(ctx, h)
		},
	}
}

// readers runs each read path of s and returns what it delivered.
var readers = map[string]func(ctx context.Context, s domain.EventStore) ([]domain.RecordedEvent, error){
	"ReadStream": func(ctx context.Context, s domain.EventStore) ([]domain.RecordedEvent, error) {
		return s.ReadStream(ctx, domain.StreamName(convID), 0, 100)
	},
	"ReadAll": func(ctx context.Context, s domain.EventStore) ([]domain.RecordedEvent, error) {
		return s.ReadAll(ctx, 0, 100)
	},
	"SubscribeToStream": func(ctx context.Context, s domain.EventStore) ([]domain.RecordedEvent, error) {
		var got []domain.RecordedEvent
		err := s.SubscribeToStream(ctx, domain.StreamName(convID), 0, func(_ context.Context, e domain.RecordedEvent) error {
			got = append(got, e)
			return nil
		}, domain.SubscribeOptions{})
		return got, err
	},
	"SubscribeToAll": func(ctx context.Context, s domain.EventStore) ([]domain.RecordedEvent, error) {
		var got []domain.RecordedEvent
		err := s.SubscribeToAll(ctx, 0, domain.Filter{}, func(_ context.Context, e domain.RecordedEvent) error {
			got = append(got, e)
			return nil
		}, domain.SubscribeOptions{})
		return got, err
	},
}

func recorded(rev domain.Revision, eventType string, version int, data []byte) domain.RecordedEvent {
	return domain.RecordedEvent{
		ID:       fmt.Sprintf("00000000-0000-4000-9000-%012d", rev),
		Stream:   domain.StreamName(convID),
		Type:     eventType,
		Revision: rev,
		Position: rev + 1,
		Data:     data,
		Metadata: domain.Metadata{SchemaVersion: version, CorrelationID: "req-1"},
	}
}

func TestChecked_AppendRefusesInvalidEvents(t *testing.T) {
	good := firstOf(t, domain.EventChatMessage, "")
	bad := good
	bad.ID = "11111111-2222-4333-8444-555555555555"
	bad.Data = mutate(t, good.Data, func(m map[string]any) { delete(obj(m["from"]), "id") })
	old := good
	old.Metadata.SchemaVersion = 0
	foreign := good
	foreign.Type = "OrderPlaced"

	for name, tt := range map[string]struct {
		events []domain.EventData
		field  string
		says   string
	}{
		"invalid data":           {[]domain.EventData{good, bad}, "from.id", "event 1 (ChatMessage " + bad.ID + ")"},
		"not the latest version": {[]domain.EventData{old}, "", "written at schema version 2, not 0"},
		"type without schema":    {[]domain.EventData{good, foreign}, "", `"OrderPlaced" has no schema`},
	} {
		t.Run(name, func(t *testing.T) {
			inner := &fakeStore{AppendFn: func(context.Context, string, domain.ExpectedRevision, []domain.EventData) (domain.AppendResult, error) {
				t.Fatal("an invalid append reached the inner store")
				return domain.AppendResult{}, nil
			}}
			_, err := eventschemas.Checked(inner, reg).Append(t.Context(), domain.StreamName(convID), domain.Any(), tt.events)
			var derr *domain.Error
			if !errors.As(err, &derr) || derr.Code != domain.CodeSchema || derr.Field != tt.field || !strings.Contains(derr.Message, tt.says) {
				t.Fatalf("got %v, want a %s error on field %q saying %q", err, domain.CodeSchema, tt.field, tt.says)
			}
		})
	}
}

func TestChecked_AppendPassesValidEvents(t *testing.T) {
	events := domainEvents(t)
	want := domain.AppendResult{NextRevision: 9, Position: 42}
	var got []domain.EventData
	inner := &fakeStore{AppendFn: func(_ context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
		if stream != domain.StreamName(convID) || !expected.IsNoStream() {
			t.Errorf("append to %s with %s", stream, expected)
		}
		got = events
		return want, nil
	}}
	res, err := eventschemas.Checked(inner, reg).Append(t.Context(), domain.StreamName(convID), domain.NoStream(), events)
	if err != nil || res != want {
		t.Fatalf("got %+v, %v", res, err)
	}
	if len(got) != len(events) {
		t.Fatalf("inner store got %d events, want %d", len(got), len(events))
	}
	for i := range events {
		if !bytes.Equal(got[i].Data, events[i].Data) || got[i].Metadata != events[i].Metadata {
			t.Errorf("event %d changed on its way to the store", i)
		}
	}
}

func TestChecked_ReadValidatesAndUpcasts(t *testing.T) {
	v1 := fixture(t, "ConversationStarted-v1.json")
	chat := firstOf(t, domain.EventChatMessage, "")
	stored := []domain.RecordedEvent{
		recorded(0, domain.EventConversationStarted, 1, v1),
		recorded(1, domain.EventChatMessage, domain.SchemaVersions[domain.EventChatMessage], chat.Data),
		recorded(2, "OrderPlaced", 0, []byte("not even JSON")),
	}
	pristine := slices.Clone(stored)

	for name, read := range readers {
		t.Run(name, func(t *testing.T) {
			got, err := read(t.Context(), eventschemas.Checked(replaying(stored), reg))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(stored) {
				t.Fatalf("got %d events, want %d", len(got), len(stored))
			}
			latest := domain.SchemaVersions[domain.EventConversationStarted]
			if v := got[0].Metadata.SchemaVersion; v != latest {
				t.Errorf("ConversationStarted read at version %d, want %d", v, latest)
			}
			if err := reg.Validate(got[0].Type, latest, got[0].Data); err != nil {
				t.Errorf("upcast ConversationStarted fails v%d: %v", latest, err)
			}
			e, err := domain.DecodeEvent(got[0])
			if err != nil || e.(domain.ConversationStarted).Customer.Personal.LastName != "Jansen" {
				t.Errorf("decoded %+v, %v", e, err)
			}
			if got[0].ID != stored[0].ID || got[0].Position != stored[0].Position || got[0].Metadata.CorrelationID != "req-1" {
				t.Errorf("upcasting changed more than data and version: %+v", got[0])
			}
			for i := 1; i < len(stored); i++ {
				if !bytes.Equal(got[i].Data, stored[i].Data) || got[i].Metadata != stored[i].Metadata {
					t.Errorf("event %d (%s) was changed on read", i, stored[i].Type)
				}
			}
			for i := range stored {
				if !bytes.Equal(stored[i].Data, pristine[i].Data) || stored[i].Metadata != pristine[i].Metadata {
					t.Errorf("the inner store's event %d was rewritten in place", i)
				}
			}
		})
	}
}

// TestChecked_ReadRefusesInvalidEvents: an event at an older version must
// pass its schema to be upcast, and a version this build does not know is
// refused. Events at the latest version are trusted (ADR 32; see
// TestChecked_TrustsLatestVersionOnRead).
func TestChecked_ReadRefusesInvalidEvents(t *testing.T) {
	chat := firstOf(t, domain.EventChatMessage, "")
	v1 := fixture(t, "ConversationStarted-v1.json")
	badV1 := mutate(t, v1, func(m map[string]any) { m["channel"] = 7 })
	for name, tt := range map[string]domain.RecordedEvent{
		"invalid old version": recorded(1, domain.EventConversationStarted, 1, badV1),
		"future version":      recorded(1, domain.EventChatMessage, domain.SchemaVersions[domain.EventChatMessage]+1, chat.Data),
		"no version":          recorded(1, domain.EventChatMessage, 0, chat.Data),
	} {
		stored := []domain.RecordedEvent{recorded(0, domain.EventChatMessage, 1, chat.Data), tt}
		for reader, read := range readers {
			t.Run(name+"/"+reader, func(t *testing.T) {
				got, err := read(t.Context(), eventschemas.Checked(replaying(stored), reg))
				var cause *domain.Error
				if domain.ErrorCode(err) != domain.CodeInternal || !errors.As(errors.Unwrap(err), &cause) || cause.Code != domain.CodeSchema || !strings.Contains(err.Error(), tt.ID) {
					t.Fatalf("got %v, want an internal error caused by a %s error naming event %s", err, domain.CodeSchema, tt.ID)
				}
				for _, e := range got {
					if e.ID == tt.ID {
						t.Fatal("the invalid event was delivered")
					}
				}
			})
		}
	}
}

func TestChecked_PassesThrough(t *testing.T) {
	errDown := errors.New("down")
	inner := &fakeStore{
		ReadStreamFn: func(context.Context, string, domain.Revision, int) ([]domain.RecordedEvent, error) {
			return nil, domain.ErrStreamNotFound
		},
		ReadAllFn: func(context.Context, domain.After, int) ([]domain.RecordedEvent, error) { return nil, nil },
		SubscribeToAllFn: func(_ context.Context, _ domain.After, filter domain.Filter, _ domain.Handler, opts domain.SubscribeOptions) error {
			if filter.StreamPrefix != domain.StreamPrefix || opts.OnCaughtUp == nil {
				t.Error("filter or options lost on the way")
			}
			return errDown
		},
		PingFn:  func(context.Context) error { return errDown },
		CloseFn: func() error { return errDown },
	}
	s := eventschemas.Checked(inner, reg)
	if _, err := s.ReadStream(t.Context(), "conversation-x", 0, 1); !errors.Is(err, domain.ErrStreamNotFound) {
		t.Errorf("ReadStream: %v", err)
	}
	if recs, err := s.ReadAll(t.Context(), 0, 1); recs != nil || err != nil {
		t.Errorf("ReadAll: %v, %v", recs, err)
	}
	err := s.SubscribeToAll(t.Context(), 0, domain.Filter{StreamPrefix: domain.StreamPrefix}, func(context.Context, domain.RecordedEvent) error { return nil }, domain.SubscribeOptions{OnCaughtUp: func() {}})
	if !errors.Is(err, errDown) {
		t.Errorf("SubscribeToAll: %v", err)
	}
	if !errors.Is(s.Ping(t.Context()), errDown) || !errors.Is(s.Close(), errDown) {
		t.Error("Ping or Close lost the inner store's error")
	}
}

// memoryStore is a fake that keeps appended events, enough for the domain
// service to run against; it does not check expected revisions.
func memoryStore() *fakeStore {
	var mu sync.Mutex
	var recs []domain.RecordedEvent
	return &fakeStore{
		AppendFn: func(_ context.Context, stream string, _ domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
			mu.Lock()
			defer mu.Unlock()
			var rev domain.Revision
			for _, e := range events {
				rev = 0
				for _, r := range recs {
					if r.Stream == stream {
						rev++
					}
				}
				recs = append(recs, domain.RecordedEvent{ID: e.ID, Stream: stream, Type: e.Type, Revision: rev, Position: domain.Position(len(recs) + 1), Data: e.Data, Metadata: e.Metadata})
			}
			return domain.AppendResult{NextRevision: rev, Position: domain.Position(len(recs))}, nil
		},
		ReadStreamFn: func(_ context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
			mu.Lock()
			defer mu.Unlock()
			var out []domain.RecordedEvent
			for _, r := range recs {
				if r.Stream == stream && r.Revision >= from && len(out) < max {
					out = append(out, r)
				}
			}
			if len(out) == 0 && from == 0 {
				return nil, domain.ErrStreamNotFound
			}
			return out, nil
		},
	}
}

// TestChecked_WithService runs the domain service on a checked store: what
// the domain decides is stored and read back, and a message that only the
// schema's last line of defence refuses is not stored.
func TestChecked_WithService(t *testing.T) {
	inner := memoryStore()
	svc, err := conversations.New(conversations.Config{
		Store: eventschemas.Checked(inner, reg),
		Now:   func() time.Time { return testNow },
		NewID: newIDs(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	meta := domain.Metadata{CorrelationID: "req-1"}
	if _, err := svc.Start(ctx, domain.StartConversation{ConversationID: convID, CustomerID: customerID, Channel: "sms", Personal: domain.PersonalData{Phone: "+31205550142"}}, meta); err != nil {
		t.Fatal(err)
	}
	customer := domain.Participant{ID: customerID}
	if _, err := svc.Execute(ctx, convID, domain.JoinConversation{Participant: customer}, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Execute(ctx, convID, domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: customer, Text: "Hi"}}, meta); err != nil {
		t.Fatal(err)
	}
	before, _ := inner.ReadStream(ctx, domain.StreamName(convID), 0, 100)

	// The domain does not bound attachment URLs; the schema caps them.
	huge := domain.Attachment{Name: "x", ContentURL: "data:," + strings.Repeat("a", 1<<20)}
	_, err = svc.Execute(ctx, convID, domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: customer, Attachments: []domain.Attachment{huge}}}, meta)
	var derr *domain.Error
	if !errors.As(err, &derr) || derr.Code != domain.CodeSchema || derr.Field != "attachments[0].contentUrl" {
		t.Fatalf("got %v, want a %s error on attachments[0].contentUrl", err, domain.CodeSchema)
	}
	after, _ := inner.ReadStream(ctx, domain.StreamName(convID), 0, 100)
	if len(after) != len(before) {
		t.Fatalf("the refused message was stored: %d events, want %d", len(after), len(before))
	}
	if len(before) != 4 { // started, joined, greetings, "Hi"
		t.Errorf("stored %d events, want 4", len(before))
	}
}

// TestChecked_TrustsLatestVersionOnRead: an event at its latest version
// was checked on append and is passed on untouched, even when it would fail
// its schema now (ADR 32); store verify and migrate report it instead.
func TestChecked_TrustsLatestVersionOnRead(t *testing.T) {
	chat := firstOf(t, domain.EventChatMessage, "")
	bad := mutate(t, chat.Data, func(m map[string]any) { m["tag"] = "secret" })
	odd := []byte(`{"agentId":"ann","conversationId":"c1","timestamp":"2026-12-04T09:00:00Z","extra":true}`)
	for name, rec := range map[string]domain.RecordedEvent{
		"message at its latest version":       recorded(0, domain.EventChatMessage, domain.SchemaVersions[domain.EventChatMessage], bad),
		"routing event at its latest version": recorded(0, "AgentClaimed", 1, odd),
	} {
		for reader, read := range readers {
			t.Run(name+"/"+reader, func(t *testing.T) {
				got, err := read(t.Context(), eventschemas.Checked(replaying([]domain.RecordedEvent{rec}), reg))
				if err != nil || len(got) != 1 || !bytes.Equal(got[0].Data, rec.Data) || got[0].Metadata != rec.Metadata {
					t.Fatalf("got %+v, %v; want the event untouched", got, err)
				}
			})
		}
		if err := reg.CheckRecorded(rec); domain.ErrorCode(err) != domain.CodeInternal || !strings.Contains(err.Error(), rec.ID) {
			t.Errorf("%s: CheckRecorded = %v, want an internal error naming %s", name, err, rec.ID)
		}
	}
}

// TestVerifyStore: every stored event is checked, and the invalid ones are
// counted and named in the store's order.
func TestVerifyStore(t *testing.T) {
	chat := firstOf(t, domain.EventChatMessage, "")
	bad := mutate(t, chat.Data, func(m map[string]any) { delete(obj(m["from"]), "id") })
	stored := []domain.RecordedEvent{
		recorded(0, domain.EventConversationStarted, 1, fixture(t, "ConversationStarted-v1.json")),
		recorded(1, domain.EventChatMessage, 1, chat.Data),
		recorded(2, domain.EventChatMessage, 1, bad),
		recorded(3, "OrderPlaced", 0, []byte("not even JSON")),
	}
	rep, err := eventschemas.VerifyStore(t.Context(), replaying(stored), reg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 4 || rep.Invalid != 1 || len(rep.First) != 1 || !strings.Contains(rep.First[0].Error(), stored[2].ID) || !strings.Contains(rep.First[0].Error(), "from.id") {
		t.Fatalf("got %+v, want 4 events, 1 invalid: %s on from.id", rep, stored[2].ID)
	}
}
