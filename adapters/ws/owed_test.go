package ws

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/tmpfs"
)

// TestOwedLeaveIsStoredOnceTheStoreIsBack: given a hub whose store is on a
// tmpfs that fills up, when a leave cannot be stored, then it is owed, and
// once space is freed it is stored by itself, once; also when the hub
// closes right after, whichever of Close's last attempt and the background
// retry gets there first.
func TestOwedLeaveIsStoredOnceTheStoreIsBack(t *testing.T) {
	tests := map[string]struct{ closeAtOnce bool }{
		"retried in the background": {closeAtOnce: false},
		"hub closed right after":    {closeAtOnce: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			mnt := tmpfs.Mount(t, "4m")
			store, err := diskstore.Open(filepath.Join(mnt, "data"), diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = store.Close() })
			svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
			if err != nil {
				t.Fatal(err)
			}
			h := New(Config{}, svc, projections.NewConversationInfos(store, 100), projections.NewConnectors(), store,
				uuid.NewString, slog.New(slog.NewTextHandler(io.Discard, nil)))
			hubClosed := false
			t.Cleanup(func() {
				if !hubClosed {
					_ = h.Close(context.Background())
				}
			})
			ctx := context.Background()
			started, err := svc.Start(ctx, domain.StartConversation{Channel: "web", Personal: domain.PersonalData{RefID: "r"}}, domain.Metadata{CorrelationID: uuid.NewString()})
			if err != nil {
				t.Fatal(err)
			}
			conv := started.ConversationID
			agent := domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}
			if _, err := svc.Execute(ctx, conv, domain.JoinConversation{Participant: agent}, domain.Metadata{CorrelationID: uuid.NewString()}); err != nil {
				t.Fatal(err)
			}

			filler := filepath.Join(mnt, "filler")
			fillStore(t, store, filler)
			h.storeLeave(ctx, conv, agent, domain.Metadata{CorrelationID: uuid.NewString()})
			if n := owedCount(h); n != 1 {
				t.Fatalf("%d leaves owed after a failed one, want 1", n)
			}
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			if tt.closeAtOnce {
				waitFor(t, func() bool { return store.Ping(ctx) == nil })
				if err := h.Close(ctx); err != nil {
					t.Fatal(err)
				}
				hubClosed = true
			}
			waitFor(t, func() bool { return owedCount(h) == 0 })
			if kinds := activities(t, store, conv); strings.Join(kinds, ",") != "participantJoined,participantLeft" {
				t.Errorf("stored activities %v, want the join and one leave", kinds)
			}
		})
	}
}

func owedCount(h *Hub) int {
	h.owed.mu.Lock()
	defer h.owed.mu.Unlock()
	return len(h.owed.items)
}

// fillStore fills the store's file system: a file takes most of it, then
// appends take the rest until the store refuses one.
func fillStore(t *testing.T, store domain.EventStore, filler string) {
	t.Helper()
	if err := os.WriteFile(filler, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	data := fmt.Appendf(nil, `{"pad":"%s"}`, strings.Repeat("x", 16<<10))
	for range 1000 { // 16 MiB: far more than the file system holds
		ev := domain.EventData{ID: uuid.NewString(), Type: "test.padding.v1", Data: data}
		if _, err := store.Append(context.Background(), "padding", domain.Any(), []domain.EventData{ev}); err != nil {
			if domain.ErrorCode(err) != domain.CodeUnavailable {
				t.Fatalf("append on a full disk: %v, want store_unavailable", err)
			}
			return
		}
	}
	t.Fatal("1000 appends of 16 KiB fitted on a 4 MiB tmpfs")
}
