package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

const webhookSecret = "e2e-webhook-secret-0123456789abcdef0123"

// webhookFlags make retries fast enough for a test.
var webhookFlags = []string{"--webhook-secret", webhookSecret, "--webhook-timeout", "200ms",
	"--webhook-backoff", "50ms", "--webhook-max-backoff", "200ms", "--webhook-lease", "1s"}

type hookPayload struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Stream         string          `json:"stream"`
	ConversationID string          `json:"conversationId"`
	Sequence       uint64          `json:"sequence"`
	Position       uint64          `json:"position"`
	Data           json.RawMessage `json:"data"`
}

// hookReceiver is an HTTP receiver on loopback, in the test process, so
// it outlives the Parley processes the test kills.
type hookReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	status   int // 0 hangs until the sender gives up
	delay    time.Duration
	accepted []hookPayload
	requests int
	badSig   int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, status: http.StatusOK}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(webhookSecret))
		mac.Write(body)
		var p hookPayload
		_ = json.Unmarshal(body, &p)
		r.mu.Lock()
		r.requests++
		if !hmac.Equal([]byte("sha256="+hex.EncodeToString(mac.Sum(nil))), []byte(req.Header.Get("X-Parley-Signature"))) {
			r.badSig++
		}
		status, delay := r.status, r.delay
		if status/100 == 2 {
			r.accepted = append(r.accepted, p)
		}
		r.mu.Unlock()
		time.Sleep(delay)
		if status == 0 {
			<-req.Context().Done()
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) set(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func (r *hookReceiver) snapshot() (accepted []hookPayload, requests, badSig int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookPayload(nil), r.accepted...), r.requests, r.badSig
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// webhookChat runs a short chat: the customer and an agent exchange
// messages, and the agent whispers.
func webhookChat(t *testing.T, s *server, messages int) string {
	t.Helper()
	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": chat.Participant.ID, "token": chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": "agent-1", "name": "Grace", "role": "agent"})
	for i := range messages {
		c := customer
		if i%2 == 1 {
			c = agent
		}
		c.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "hello " + string(rune('a'+i))})
	}
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "VIP", "tag": "whisper"})
	return chat.ConversationID
}

// historyIDs returns the ids of a conversation's events a webhook without
// whispers carries, in order.
func historyIDs(t *testing.T, s *server, conv string) []string {
	t.Helper()
	var page eventsPage
	if code := s.do(t, "GET", "/api/conversations/"+conv+"/events?limit=1000", nil, &page); code != http.StatusOK {
		t.Fatalf("events: %d", code)
	}
	var ids []string
	for _, e := range page.Events {
		if !strings.Contains(string(e.Data), `"tag":"whisper"`) {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// checkArrived checks that the receiver accepted every event of each
// conversation, in order (a redelivery repeats a prefix's tail, never
// skips ahead), and that every request was signed.
func checkArrived(t *testing.T, r *hookReceiver, want map[string][]string) {
	t.Helper()
	accepted, _, badSig := r.snapshot()
	if badSig > 0 {
		t.Errorf("%d requests with a bad signature", badSig)
	}
	next := map[string]int{}
	for _, p := range accepted {
		ids := want[p.ConversationID]
		i := next[p.ConversationID]
		switch {
		case i < len(ids) && ids[i] == p.ID:
			next[p.ConversationID] = i + 1
		case indexOf(ids[:i], p.ID) >= 0: // at least once: a redelivery of an earlier event
		default:
			t.Fatalf("conversation %s: event %s arrived out of order (expected %d: %v)", p.ConversationID, p.ID, i, ids)
		}
	}
	for conv, ids := range want {
		if next[conv] != len(ids) {
			t.Errorf("conversation %s: %d of %d events arrived", conv, next[conv], len(ids))
		}
	}
}

// distinct counts the different events the receiver accepted.
func (r *hookReceiver) distinct() int {
	accepted, _, _ := r.snapshot()
	seen := map[string]bool{}
	for _, p := range accepted {
		seen[p.ID] = true
	}
	return len(seen)
}

func indexOf(ids []string, id string) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return -1
}

// TestWebhooksThroughOutageAndCrash: the receiver answers 500, then hangs,
// then recovers; Parley is killed mid-delivery and restarted; every event
// arrives, in order within its conversation, signed. The operators' routes
// answer, and a replay from the start delivers the history again.
func TestWebhooksThroughOutageAndCrash(t *testing.T) {
	dir := t.TempDir()
	r := newHookReceiver(t)
	r.set(http.StatusInternalServerError)
	args := append([]string{"--webhook", "crm=" + r.srv.URL + "/hook"}, webhookFlags...)
	s := startServer(t, dir, args...)
	convs := []string{webhookChat(t, s, 4), webhookChat(t, s, 3)}

	eventually(t, "failed requests", func() bool { _, n, _ := r.snapshot(); return n >= 4 })
	r.set(0)
	_, n, _ := r.snapshot()
	eventually(t, "timed-out requests", func() bool { _, m, _ := r.snapshot(); return m >= n+2 })

	var list struct {
		Webhooks []struct {
			Name      string  `json:"name"`
			Position  uint64  `json:"position"`
			LagEvents int     `json:"lagEvents"`
			LagSecs   float64 `json:"lagSeconds"`
			LastError string  `json:"lastError"`
			Attempts  int     `json:"attempts"`
			Paused    bool    `json:"paused"`
		} `json:"webhooks"`
	}
	eventually(t, "a status naming the failure", func() bool {
		s.doAs(t, agentKey, "GET", "/api/webhooks", nil, &list)
		return len(list.Webhooks) == 1 && list.Webhooks[0].LastError != "" && list.Webhooks[0].Attempts > 0
	})
	if w := list.Webhooks[0]; w.Name != "crm" || w.LagEvents == 0 {
		t.Errorf("status while failing: %+v", w)
	}

	// Slow acceptance, then a crash in the middle of it.
	before := len(historyIDs(t, s, convs[0])) + len(historyIDs(t, s, convs[1]))
	r.mu.Lock()
	r.status, r.delay = http.StatusOK, 100*time.Millisecond
	r.mu.Unlock()
	eventually(t, "some deliveries", func() bool { a, _, _ := r.snapshot(); return len(a) >= 3 })
	s.kill()
	if n := r.distinct(); n >= before {
		t.Fatalf("all %d events went out before the kill; the crash proves nothing", n)
	}
	r.mu.Lock()
	r.delay = 0
	r.mu.Unlock()
	convs = append(convs, "") // a conversation started after the restart
	s = startServer(t, dir, args...)
	convs[2] = webhookChat(t, s, 2)
	want := map[string][]string{}
	total := 0
	for _, c := range convs {
		want[c] = historyIDs(t, s, c)
		total += len(want[c])
	}
	eventually(t, "every event", func() bool { return r.distinct() >= total })
	checkArrived(t, r, want)
	accepted, _, _ := r.snapshot()
	for _, p := range accepted {
		if strings.Contains(string(p.Data), "ada@example.com") || strings.Contains(string(p.Data), "VIP") {
			t.Fatalf("personal data or a whisper went to a webhook without personal=true or whispers=true: %s", p.Data)
		}
	}

	// Operators: staff read, only supervisors control.
	if code := s.doAs(t, agentKey, "POST", "/api/webhooks/crm/pause", nil, nil); code != http.StatusForbidden {
		t.Errorf("an agent paused: %d", code)
	}
	if code := s.doAs(t, "", "GET", "/api/webhooks", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous status: %d", code)
	}
	var e errorResponse
	if code := s.do(t, "POST", "/api/webhooks/nope/replay", map[string]any{"from": "start"}, &e); code != http.StatusNotFound || e.Code != "webhook_not_found" {
		t.Errorf("unknown webhook: %d %+v", code, e)
	}
	if code := s.do(t, "POST", "/api/webhooks/crm/replay", map[string]any{"from": "yesterday"}, &e); code != http.StatusBadRequest || e.Code != "invalid_request" {
		t.Errorf("bad from: %d %+v", code, e)
	}
	if code := s.do(t, "POST", "/api/webhooks/crm/replay", map[string]any{"from": "start"}, nil); code != http.StatusOK {
		t.Fatalf("replay: %d", code)
	}
	eventually(t, "the replay", func() bool { a, _, _ := r.snapshot(); return len(a) >= len(accepted)+total })
}

type errorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TestWebhookConfigRefused: a malformed --webhook, a URL that is not
// http(s) or a short secret refuses to start, saying why.
func TestWebhookConfigRefused(t *testing.T) {
	for name, tt := range map[string]struct {
		args []string
		want string
	}{
		"no url":       {[]string{"--webhook", "crm", "--webhook-secret", webhookSecret}, "no '='"},
		"ftp":          {[]string{"--webhook", "crm=ftp://127.0.0.1/x", "--webhook-secret", webhookSecret}, "must be http or https"},
		"bad option":   {[]string{"--webhook", "crm=http://127.0.0.1/x;personal=maybe", "--webhook-secret", webhookSecret}, "true or false"},
		"short secret": {[]string{"--webhook", "crm=http://127.0.0.1/x", "--webhook-secret", "short"}, "at least 32 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", freeAddr(t), "--data-dir", t.TempDir(), "--auth-secret", testSecret}, tt.args...)
			out, err := exec.Command(binary, args...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tt.want) {
				t.Fatalf("err = %v, output does not say %q:\n%s", err, tt.want, out)
			}
		})
	}
}
