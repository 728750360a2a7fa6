package e2e

import (
	"net/http"
	"testing"
)

// TestWebhookOneNodeDelivers: two nodes on one EventStoreDB share a
// webhook; the node that claimed it delivers each event once, and when it
// is killed the other takes over after the lease, without a gap.
func TestWebhookOneNodeDelivers(t *testing.T) {
	db := startESDB(t)
	r := newHookReceiver(t)
	// A lease long enough that a node slowed down by a busy machine does
	// not lose its claim while it lives.
	args := append(append([]string{"--store", db.url, "--webhook", "crm=" + r.srv.URL}, webhookFlags...), "--webhook-lease", "3s")
	a := startServer(t, t.TempDir(), args...)
	var list struct {
		Webhooks []struct {
			Owner     string `json:"owner"`
			LagEvents int    `json:"lagEvents"`
		} `json:"webhooks"`
	}
	eventually(t, "node A's claim", func() bool {
		return a.do(t, "GET", "/api/webhooks", nil, &list) == http.StatusOK && list.Webhooks[0].Owner != ""
	})
	ownerA := list.Webhooks[0].Owner
	b := startServer(t, t.TempDir(), args...)

	convs := []string{webhookChat(t, a, 3), webhookChat(t, b, 3)}
	want := map[string][]string{}
	total := 0
	for _, c := range convs {
		want[c] = historyIDs(t, a, c)
		total += len(want[c])
	}
	eventually(t, "every event", func() bool { return r.distinct() >= total })
	checkArrived(t, r, want)
	// Each node's own count of its attempts: only the owner made any.
	attempts := func(s *server) float64 {
		m := scrape(t, s.url("/metrics"), agentKey)
		return m[`parley_webhook_deliveries_total{result="success",webhook="crm"}`] + m[`parley_webhook_deliveries_total{result="failure",webhook="crm"}`]
	}
	if na, nb := attempts(a), attempts(b); na == 0 || nb != 0 {
		t.Errorf("node A made %v attempts, node B %v: the owner A should have made them all", na, nb)
	}
	if b.do(t, "GET", "/api/webhooks", nil, &list); list.Webhooks[0].Owner != ownerA {
		t.Errorf("owner moved to %q while node A lived", list.Webhooks[0].Owner)
	}

	a.kill()
	convs = append(convs, webhookChat(t, b, 2))
	c := convs[len(convs)-1]
	want[c] = historyIDs(t, b, c)
	total += len(want[c])
	eventually(t, "node B to take over and deliver the rest", func() bool { return r.distinct() >= total })
	checkArrived(t, r, want)
	b.do(t, "GET", "/api/webhooks", nil, &list)
	if list.Webhooks[0].Owner == ownerA || list.Webhooks[0].Owner == "" {
		t.Errorf("owner after node A died: %q", list.Webhooks[0].Owner)
	}
}
