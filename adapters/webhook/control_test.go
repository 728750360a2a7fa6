package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/webhook"
	"github.com/parley-chat/parley/domain"
	dwebhook "github.com/parley-chat/parley/domain/webhook"
)

// TestReplayPauseResume: a replay from the start delivers the history
// again; a paused webhook delivers nothing until resumed.
func TestReplayPauseResume(t *testing.T) {
	store := openStore(t)
	chats(t, store, 2, 3)
	want := wanted(t, store)
	r := newReceiver(t)
	run := start(t, store, "node-1", "crm="+r.srv.URL+";whispers=true;personal=true")
	total := count(want) + 2 // and the whispers
	waitFor(t, "every event", func() bool { return r.distinct() >= total })
	if !strings.Contains(string(r.accepted()[0].Data), "zoe@example.com") {
		t.Errorf("personal=true lost the customer's email: %s", r.accepted()[0].Data)
	}

	ctx := t.Context()
	before := len(r.accepted())
	if _, err := run.m.Pause(ctx, "crm", "sup-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := run.m.Replay(ctx, "crm", dwebhook.From{Start: true}, "sup-1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(r.accepted()); n != before {
		t.Fatalf("a paused webhook delivered: %d events, want %d", n, before)
	}
	s, err := run.m.Resume(ctx, "crm", "sup-1")
	if err != nil || s.Paused || s.Position != 0 {
		t.Fatalf("resume: %+v, %v", s, err)
	}
	waitFor(t, "the replay", func() bool { return len(r.accepted()) >= before+total })

	if _, err := run.m.Replay(ctx, "nope", dwebhook.From{Start: true}, "sup-1"); domain.ErrorCode(err) != dwebhook.CodeNotFound {
		t.Errorf("replay of an unknown webhook: %v", err)
	}
	if _, err := run.m.Replay(ctx, "crm", dwebhook.From{Time: time.Now().Add(time.Hour)}, "sup-1"); err != nil {
		t.Errorf("replay from the future: %v", err)
	}
}

// TestRestartResumesWithoutGap: a node stopped mid-delivery leaves a
// checkpoint; the next node claims the webhook and delivers the rest.
func TestRestartResumesWithoutGap(t *testing.T) {
	store := openStore(t)
	chats(t, store, 4, 5)
	want := wanted(t, store)
	r := newReceiver(t)
	slow := func(webhook.Payload) int { time.Sleep(10 * time.Millisecond); return http.StatusOK }
	r.setAnswer(slow)
	first := start(t, store, "node-1", "crm="+r.srv.URL)
	waitFor(t, "some events", func() bool { return len(r.accepted()) >= 5 })
	first.stop()
	before := r.distinct()
	if before >= count(want) {
		t.Fatalf("all %d events went out before the stop; the test proves nothing", before)
	}
	second := start(t, store, "node-2", "crm="+r.srv.URL)
	waitFor(t, "every event", func() bool {
		s, err := second.m.List(t.Context())
		return err == nil && s[0].LagEvents == 0 && s[0].Owner == "node-2"
	})
	seen := map[string]bool{}
	for _, p := range r.accepted() {
		seen[p.ID] = true
	}
	for conv, ids := range want {
		for _, id := range ids {
			if !seen[id] {
				t.Errorf("event %s of %s never arrived", id, conv)
			}
		}
	}
}

// TestOneNodeDeliversEach: two nodes on one store; one claims the webhook
// and delivers each event once; when it stops, the other takes over.
func TestOneNodeDeliversEach(t *testing.T) {
	store := openStore(t)
	r := newReceiver(t)
	a := start(t, store, "node-a", "crm="+r.srv.URL)
	b := start(t, store, "node-b", "crm="+r.srv.URL)
	chats(t, store, 3, 4)
	want := wanted(t, store)
	waitFor(t, "every event", func() bool { return r.distinct() >= count(want) })
	if a.attempts.Load() > 0 && b.attempts.Load() > 0 {
		t.Errorf("both nodes delivered: %d and %d attempts", a.attempts.Load(), b.attempts.Load())
	}
	status, _ := a.m.List(t.Context())
	owner := status[0].Owner
	if owner != "node-a" && owner != "node-b" {
		t.Fatalf("owner = %q", owner)
	}
	a.stop()
	chats(t, store, 1, 2)
	all := wanted(t, store)
	waitFor(t, "the events after node-a stopped", func() bool { return r.distinct() >= count(all) })
	checkComplete(t, r, all)
}

// TestRedirectNotFollowed: a 3xx is a failure, and the place it points
// to is never asked.
func TestRedirectNotFollowed(t *testing.T) {
	store := openStore(t)
	elsewhere := newReceiver(t)
	r := newReceiver(t)
	r.setAnswer(func(webhook.Payload) int { return http.StatusFound })
	run := start(t, store, "node-1", "crm="+r.srv.URL)
	chats(t, store, 1, 1)
	waitFor(t, "a refused redirect", func() bool {
		s, err := run.m.List(t.Context())
		return err == nil && strings.Contains(s[0].LastError, "redirect")
	})
	if n := len(elsewhere.deliveries()); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

func TestPayloadIsJSON(t *testing.T) {
	raw, _ := json.Marshal(webhook.Payload{ID: "x", Data: json.RawMessage(`{}`)})
	if !strings.Contains(string(raw), `"conversationId"`) || !strings.Contains(string(raw), `"sequence"`) {
		t.Errorf("payload fields: %s", raw)
	}
}

// TestTraceWrapsEachAttempt: the Trace hook sees every attempt and its
// outcome.
func TestTraceWrapsEachAttempt(t *testing.T) {
	store := openStore(t)
	chats(t, store, 1, 1)
	r := newReceiver(t)
	fails := 2
	r.setAnswer(func(webhook.Payload) int {
		if fails > 0 {
			fails--
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	specs, _ := webhook.ParseSpecs([]string{"crm=" + r.srv.URL})
	var mu sync.Mutex
	var outcomes []bool
	m, err := webhook.New(webhook.Config{Store: store, Webhooks: specs, Secret: testSecret, Node: "n", NewID: uuid.NewString,
		Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Trace: func(ctx context.Context, name string, rec domain.RecordedEvent) (context.Context, func(error)) {
			return ctx, func(err error) {
				mu.Lock()
				defer mu.Unlock()
				outcomes = append(outcomes, err == nil)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	want := count(wanted(t, store))
	waitFor(t, "every event", func() bool { return len(r.accepted()) >= want })
	mu.Lock()
	defer mu.Unlock()
	if len(outcomes) < want+2 || outcomes[0] || outcomes[1] {
		t.Errorf("outcomes = %v, want 2 failures then %d successes", outcomes, want)
	}
}
