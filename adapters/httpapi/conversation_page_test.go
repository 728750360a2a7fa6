package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/httpapi"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/eventschemas"
	"github.com/parley-chat/parley/projections"
)

// failingStore is a real store whose ReadStream fails, as an unreachable
// store does, from its failAt-th call on (never when 0).
type failingStore struct {
	domain.EventStore
	calls, failAt atomic.Int64
}

func (s *failingStore) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	if n := s.calls.Add(1); s.failAt.Load() > 0 && n >= s.failAt.Load() {
		return nil, fmt.Errorf("read %s: %w", stream, domain.ErrUnavailable)
	}
	return s.EventStore.ReadStream(ctx, stream, from, max)
}

// pageServer serves the REST API over a real embedded store holding one
// conversation of n chat messages; the API reads messages through the
// returned failingStore, the read model through the store itself.
func pageServer(t *testing.T, n int) (*httptest.Server, *failingStore, string, []domain.RecordedEvent) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	inner, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	store := eventschemas.Checked(inner, eventschemas.MustLoad())
	t.Cleanup(func() { store.Close() })
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	started, err := svc.Start(t.Context(), domain.StartConversation{Channel: "web", Personal: domain.PersonalData{RefID: "r"}}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	agent := domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}
	id := started.ConversationID
	if _, err := svc.Execute(t.Context(), id, domain.JoinConversation{Participant: agent}, domain.Metadata{}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		msg := domain.Message{Type: domain.TypeChatMessage, From: agent, Text: fmt.Sprintf("<b>%d</b> & \u2028 %s", i, strings.Repeat("é", 500))}
		if _, err := svc.Execute(t.Context(), id, domain.PostMessage{Message: msg}, domain.Metadata{}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := store.ReadStream(t.Context(), domain.StreamName(id), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	failing := &failingStore{EventStore: store}
	api := httpapi.New(httpapi.Config{MaxInfoMessages: 100}, svc, projections.NewConversationInfos(store, 0), failing, uuid.NewString, quiet, nil)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv, failing, id, recs
}

// The page written message by message is byte for byte what encoding/json
// (echo's c.JSON) gives for the same view.
func TestConversationPageIsEncodingJSONs(t *testing.T) {
	srv, _, id, recs := pageServer(t, 250)
	whole, err := projections.FoldInfo(id, recs)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		query  string
		first  int // index in whole.Messages (sequence - 1) of the page's first message
		n      int
		before bool
	}{
		"the newest":      {"", len(whole.Messages) - 100, 100, true},
		"after since":     {"?since=3&limit=10", 3, 10, false},
		"the last page":   {"?since=240", len(whole.Messages) - 12, 12, false},
		"an empty page":   {"?before=0", 0, 0, false},
		"before and more": {"?before=50&limit=7", 42, 7, true},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/api/conversations/" + id + c.query)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := projections.Info{Conversation: whole.Conversation, Participants: whole.Participants, Version: whole.Version,
				Messages: append([]domain.Message{}, whole.Messages[c.first:c.first+c.n]...)}
			if c.n > 0 && (c.first > 0 && c.before || c.first+c.n < len(whole.Messages) && !c.before) {
				want.More = true
				if c.before {
					want.Before = new(int64(*want.Messages[0].Sequence))
				} else {
					want.Since = new(int64(*want.Messages[c.n-1].Sequence))
				}
			}
			var buf strings.Builder
			enc := json.NewEncoder(&buf)
			if err := enc.Encode(&want); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || string(got) != buf.String() {
				t.Fatalf("%d:\n%.300s\nwant:\n%.300s", resp.StatusCode, got, buf.String())
			}
		})
	}
}

// A store failure before the first message is an ordinary error answer;
// after it, the connection is cut, so that a short page never passes for a
// whole one.
func TestConversationPageOnStoreFailure(t *testing.T) {
	srv, failing, id, _ := pageServer(t, 250)
	get := func() (int, []byte, error) {
		resp, err := http.Get(srv.URL + "/api/conversations/" + id)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, body, err
	}

	failing.calls.Store(0)
	failing.failAt.Store(1)
	code, body, err := get()
	var e struct{ Code, Message string }
	if err != nil || code != http.StatusServiceUnavailable || json.Unmarshal(body, &e) != nil || e.Code != "store_unavailable" {
		t.Fatalf("failure at the first read: %d %s %v", code, body, err)
	}

	failing.calls.Store(0)
	failing.failAt.Store(2) // after the first span of messages
	code, body, err = get()
	if err == nil {
		t.Fatalf("failure midway: %d and a whole body of %d bytes", code, len(body))
	}
}
