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
	"github.com/parley-chat/parley/projections"
)

// noSubscriptions is a real store that takes appends and answers Ping but
// refuses subscriptions to all streams while refuse is set, as a node whose
// $all subscription is denied or keeps dropping does.
type noSubscriptions struct {
	domain.EventStore
	refuse atomic.Bool
}

func (s *noSubscriptions) SubscribeToAll(ctx context.Context, after domain.After, f domain.Filter,
	fn domain.Handler, opts domain.SubscribeOptions) error {
	if s.refuse.Load() {
		return fmt.Errorf("subscribe to $all: permission denied: %w", domain.ErrUnavailable)
	}
	return s.EventStore.SubscribeToAll(ctx, after, f, fn, opts)
}

func readyz(t *testing.T, url string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// /readyz fails, naming the error, while the node's subscription to all
// streams cannot run, though the store answers; and is ready again once the
// subscription runs.
func TestReadyzFailsWhileTheFeedCannotRun(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	inner, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	store := &noSubscriptions{EventStore: inner}
	store.refuse.Store(true)
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	var status projections.FeedStatus
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = projections.RunFeedStatus(ctx, store, 0, quiet, &status, func() {})
	}()
	t.Cleanup(func() { cancel(); <-done })
	api := httpapi.New(httpapi.Config{MaxInfoMessages: 100, FeedDown: status.Err}, svc,
		projections.NewConversationInfos(store, 0), store, uuid.NewString, quiet, nil)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	// Given a store that answers but refuses the subscription, /readyz fails with its error.
	waitFor(t, func() bool { return status.Err() != nil })
	code, body := readyz(t, srv.URL)
	if code != http.StatusServiceUnavailable || body["code"] != "store_unavailable" ||
		!strings.Contains(body["message"], "permission denied") {
		t.Fatalf("/readyz with the feed down = %d %v, want 503 store_unavailable naming the error", code, body)
	}
	// When the subscription runs again, the node is ready.
	store.refuse.Store(false)
	waitFor(t, func() bool { return status.Err() == nil })
	if code, body := readyz(t, srv.URL); code != http.StatusOK {
		t.Fatalf("/readyz with the feed running = %d %v", code, body)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}
