package webhook_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/webhook"
)

var testSecret = []byte("webhook-secret-0123456789abcdef0123456789")

// delivery is one request a receiver took.
type delivery struct {
	payload  webhook.Payload
	header   http.Header
	accepted bool
}

// receiver is a real HTTP receiver on loopback whose answer a test
// changes: answer decides the status of each request (0 for "hang until the
// sender gives up").
type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu     sync.Mutex
	answer func(webhook.Payload) int
	all    []delivery
	badSig int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, answer: func(webhook.Payload) int { return http.StatusOK }}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		r.t.Errorf("receiver: body is not a payload: %v\n%s", err, body)
	}
	r.mu.Lock()
	if !webhook.Verify(testSecret, body, req.Header.Get("X-Parley-Signature")) {
		r.badSig++
	}
	status := r.answer(p)
	r.all = append(r.all, delivery{payload: p, header: req.Header.Clone(), accepted: status/100 == 2})
	r.mu.Unlock()
	if status == 0 {
		select { // hang: the sender's timeout ends it
		case <-req.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	w.WriteHeader(status)
}

func (r *receiver) setAnswer(f func(webhook.Payload) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = f
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.all...)
}

// distinct counts the different events answered 2xx.
func (r *receiver) distinct() int {
	seen := map[string]bool{}
	for _, p := range r.accepted() {
		seen[p.ID] = true
	}
	return len(seen)
}

// accepted returns the payloads answered 2xx, in arrival order.
func (r *receiver) accepted() []webhook.Payload {
	var out []webhook.Payload
	for _, d := range r.deliveries() {
		if d.accepted {
			out = append(out, d.payload)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing after 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
