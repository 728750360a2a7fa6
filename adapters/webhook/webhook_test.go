package webhook_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/webhook"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	dwebhook "github.com/parley-chat/parley/domain/webhook"
	"github.com/parley-chat/parley/eventschemas"
)

func openStore(t testing.TB) domain.EventStore {
	t.Helper()
	inner, err := diskstore.Open(t.TempDir(), diskstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := eventschemas.Checked(inner, eventschemas.MustLoad())
	t.Cleanup(func() { store.Close() })
	return store
}

var agent = domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}

// chats starts n conversations on store, each with messages chat
// messages, a whisper, and an end; it returns their ids.
func chats(t testing.TB, store domain.EventStore, n, messages int) []string {
	t.Helper()
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var ids []string
	for range n {
		started, err := svc.Start(ctx, domain.StartConversation{Channel: "web",
			Personal: domain.PersonalData{FirstName: "Zoé", LastName: "Dupré", Email: "zoe@example.com", Phone: "+33 1 23 45 67 89", RefID: "zoe-1"}}, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		id, cus := started.ConversationID, domain.Participant{ID: started.Customer.ParticipantID}
		do := func(cmd domain.Command) {
			if _, err := svc.Execute(ctx, id, cmd, domain.Metadata{}); err != nil {
				t.Fatalf("%T: %v", cmd, err)
			}
		}
		do(domain.JoinConversation{Participant: cus})
		do(domain.JoinConversation{Participant: agent})
		for i := range messages {
			from := cus
			if i%2 == 1 {
				from = agent
			}
			do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: from, Text: "message " + string(rune('a'+i))}})
		}
		do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: agent, Tag: domain.TagWhisper, Text: "psst"}})
		ids = append(ids, id)
	}
	return ids
}

// wanted returns the ids of the events a webhook without whispers must
// deliver, by conversation, in stream order.
func wanted(t testing.TB, store domain.EventStore) map[string][]string {
	t.Helper()
	recs, err := store.ReadAll(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, rec := range recs {
		conv, ok := domain.ConversationIDOf(rec.Stream)
		if !ok || strings.Contains(string(rec.Data), `"tag":"whisper"`) {
			continue
		}
		out[conv] = append(out[conv], rec.ID)
	}
	return out
}

type running struct {
	m    *webhook.Manager
	stop func()
	// attempts counts the delivery attempts this node made.
	attempts *atomic.Int64
}

// start runs a Manager for the receivers' webhooks as node, with short
// timeouts, until the test ends or stop is called.
func start(t testing.TB, store domain.EventStore, node string, specs ...string) running {
	t.Helper()
	parsed, err := webhook.ParseSpecs(specs)
	if err != nil {
		t.Fatal(err)
	}
	attempts := new(atomic.Int64)
	m, err := webhook.New(webhook.Config{
		Store: store, Webhooks: parsed, Secret: testSecret, Node: node, NewID: uuid.NewString,
		Timeout: 150 * time.Millisecond, Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Lease: 3 * time.Second, FlushInterval: 30 * time.Millisecond,
		OnAttempt: func(string, error, time.Duration) { attempts.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { m.Run(ctx) })
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return running{m: m, stop: stop, attempts: attempts}
}

// checkComplete checks that every wanted event was accepted, each
// conversation's in stream order, and that every request was signed. An
// event may come again (at least once: an answer slower than the timeout
// on a busy machine is a failure to the sender), but never ahead of its
// turn.
func checkComplete(t *testing.T, r *receiver, want map[string][]string) {
	t.Helper()
	next := map[string]int{}
	for _, p := range r.accepted() {
		ids, i := want[p.ConversationID], next[p.ConversationID]
		switch {
		case i < len(ids) && ids[i] == p.ID:
			next[p.ConversationID] = i + 1
		case slices.Contains(ids[:i], p.ID):
		default:
			t.Errorf("conversation %s: event %s arrived out of turn (expected #%d of %v)", p.ConversationID, p.ID, i, ids)
			return
		}
	}
	for conv, ids := range want {
		if next[conv] != len(ids) {
			t.Errorf("conversation %s: %d of %d events arrived", conv, next[conv], len(ids))
		}
	}
	if r.badSig > 0 {
		t.Errorf("%d requests with a bad signature", r.badSig)
	}
}

func count(want map[string][]string) int {
	n := 0
	for _, ids := range want {
		n += len(ids)
	}
	return n
}

// TestDeliveryThroughOutage: the receiver answers 500, then hangs past the
// timeout, then recovers; every event arrives once accepted, in order
// within its conversation, signed, without personal data or whispers.
func TestDeliveryThroughOutage(t *testing.T) {
	store := openStore(t)
	r := newReceiver(t)
	r.setAnswer(func(webhook.Payload) int { return http.StatusInternalServerError })
	run := start(t, store, "node-1", "crm="+r.srv.URL+"/hook")
	chats(t, store, 3, 6)
	want := wanted(t, store)

	waitFor(t, "5 failed requests", func() bool { return len(r.deliveries()) >= 5 })
	r.setAnswer(func(webhook.Payload) int { return 0 })
	n := len(r.deliveries())
	waitFor(t, "3 timed-out requests", func() bool { return len(r.deliveries()) >= n+3 })
	r.setAnswer(func(webhook.Payload) int { return http.StatusNoContent })
	waitFor(t, "every event", func() bool { return r.distinct() >= count(want) })
	checkComplete(t, r, want)

	for _, d := range r.deliveries() {
		p := d.payload
		if d.header.Get("X-Parley-Webhook") != "crm" || d.header.Get("X-Parley-Delivery") != p.ID {
			t.Errorf("headers %v of event %s", d.header, p.ID)
		}
		if p.Stream != domain.StreamName(p.ConversationID) || p.Position == 0 || p.Recorded == "" || p.Metadata.SchemaVersion == 0 {
			t.Errorf("payload incomplete: %+v", p)
		}
		data := string(p.Data)
		for _, personal := range []string{"Zoé", "Dupré", "zoe@example.com", "23 45", "zoe-1", "personal", "psst"} {
			if strings.Contains(data, personal) {
				t.Errorf("%s carries %q without personal=true or whispers=true: %s", p.Type, personal, data)
			}
		}
	}
	var status []dwebhook.Status
	waitFor(t, "a status with no lag", func() bool {
		var err error
		status, err = run.m.List(t.Context())
		return err == nil && status[0].LagEvents == 0
	})
	s := status[0]
	if s.Name != "crm" || s.Owner != "node-1" || s.LastSuccessAt == "" || s.Position == 0 || s.Delivered == 0 {
		t.Errorf("status = %+v", s)
	}
	if !strings.Contains(s.LastError, "status 500") && !strings.Contains(s.LastError, "no answer within") {
		t.Errorf("last error %q names neither the 500 nor the timeout", s.LastError)
	}
}

// TestOneConversationFailingHoldsUpNoOther: while the receiver refuses
// every event of one conversation, the others are delivered; once it
// takes them, the held conversation follows in order.
func TestOneConversationFailingHoldsUpNoOther(t *testing.T) {
	store := openStore(t)
	ids := chats(t, store, 3, 4)
	want := wanted(t, store)
	r := newReceiver(t)
	stuck := ids[0]
	r.setAnswer(func(p webhook.Payload) int {
		if p.ConversationID == stuck {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	start(t, store, "node-1", "crm="+r.srv.URL)
	waitFor(t, "the other conversations", func() bool { return len(r.accepted()) >= count(want)-len(want[stuck]) })
	for _, p := range r.accepted() {
		if p.ConversationID == stuck {
			t.Fatalf("an event of the refused conversation was accepted")
		}
	}
	r.setAnswer(func(webhook.Payload) int { return http.StatusOK })
	waitFor(t, "every event", func() bool { return r.distinct() >= count(want) })
	checkComplete(t, r, want)
}
