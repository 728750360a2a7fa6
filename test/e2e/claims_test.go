package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// receipts records which node gave a connector each message, in order.
type receipts struct {
	mu   sync.Mutex
	from map[string][]string // message id -> the nodes it came from
}

// drain takes every messageArrived c receives until stop closes,
// acknowledging each on the node it came from, as a connector does; it
// writes on the raw connection so that a node killed meanwhile only ends
// the loop.
func (r *receipts) drain(c *wsClient, node string, stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	for {
		select {
		case <-stop:
			return
		default:
		}
		f, ok := c.take(func(f frame) bool { return f.Event == "messageArrived" }, 200*time.Millisecond)
		if !ok {
			continue
		}
		var m outbound
		if err := json.Unmarshal(f.Data, &m); err != nil {
			continue
		}
		r.mu.Lock()
		r.from[m.ID] = append(r.from[m.ID], node)
		r.mu.Unlock()
		c.wmu.Lock()
		_ = c.conn.WriteJSON(map[string]any{"event": "messageDelivered", "data": map[string]any{"id": m.ID}})
		c.wmu.Unlock()
	}
}

// waitAll waits until every id has been received, failing after timeout.
func (r *receipts) waitAll(t *testing.T, ids []string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		missing := 0
		for _, id := range ids {
			if len(r.from[id]) == 0 {
				missing++
			}
		}
		r.mu.Unlock()
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages never reached the connector within %v", missing, len(ids), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A connector connected to two nodes receives each message once, not once
// per node: each delivery is claimed through the store. When a node is
// killed, what it held is sent by the other once its claims lapse.
func TestConnectorDeliveriesOnceAcrossNodes(t *testing.T) {
	const convs, rounds = 50, 20 // 1,000 deliveries
	db, nodes := startNodes(t, 2, append(loadLimits, "--claim-timeout", "2s", "--connector-ack-timeout", "2s")...)
	a, b := nodes[0], nodes[1]
	connA, connB := register(t, a, "sms", smsConnectorKey), register(t, b, "sms", smsConnectorKey)
	agents := make([]*wsClient, convs)
	for i := range agents {
		ack := decode[message](t, connA.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "channel": "sms",
			"refId": fmt.Sprintf("+1555%04d", i), "text": "hello"}).Data)
		agents[i] = dialAs(t, a, fmt.Sprintf("agent-%d", i), agentKey)
		agents[i].mustCall("joinConversation", map[string]any{"conversationId": ack.ConversationID, "name": "Grace"})
		agents[i].next("conversationInfo")
	}
	// From here on only the drains read the connectors' frames (a client's
	// frames have one reader).
	rec := &receipts{from: map[string][]string{}}
	stop := make(chan struct{})
	var drains sync.WaitGroup
	drains.Add(2)
	go rec.drain(connA, "A", stop, &drains)
	go rec.drain(connB, "B", stop, &drains)
	t.Cleanup(func() { close(stop); drains.Wait() })
	post := func(from, to int) []string {
		var ids []string
		for r := from; r < to; r++ {
			for i, ag := range agents {
				m := decode[message](t, ag.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": fmt.Sprintf("reply %d to %d", r, i)}).Data)
				ids = append(ids, m.ID)
			}
		}
		return ids
	}

	// Both nodes up: every message exactly once.
	first := post(0, rounds/2)
	rec.waitAll(t, first, 60*time.Second)
	rec.mu.Lock()
	byNode := map[string]int{}
	for _, id := range first {
		if n := len(rec.from[id]); n != 1 {
			t.Errorf("message %s reached the connector %d times (from %v)", id, n, rec.from[id])
		}
		byNode[rec.from[id][0]]++
	}
	rec.mu.Unlock()
	t.Logf("with both nodes up, %d deliveries: %v by node", len(first), byNode)

	// Node B is killed while messages flow, holding claims on some: the
	// rest still arrive, A sending B's once they lapse, and a message
	// arrives twice only if B sent it and died before storing its
	// acknowledgement.
	second := post(rounds/2, rounds*3/4)
	b.kill()
	second = append(second, post(rounds*3/4, rounds)...)
	rec.waitAll(t, append(first, second...), 60*time.Second)
	time.Sleep(3 * time.Second) // past the claim timeout: any late resend shows
	rec.mu.Lock()
	defer rec.mu.Unlock()
	twice := 0
	for _, id := range append(first, second...) {
		from := rec.from[id]
		if len(from) > 1 {
			twice++
			if len(from) > 2 || from[0] != "B" || from[1] != "A" {
				t.Errorf("message %s reached the connector from %v: only one B had in flight when killed may come again, from A", id, from)
			}
		}
	}
	t.Logf("after node B was killed: %d of %d messages arrived twice (in flight on B when it died)", twice, len(first)+len(second))

	// Two nodes appended to the same streams (connectors, claims,
	// deliveries), one killed midway: every chain holds (ADR 40).
	if out, err := runAudit(t, "--store", db.url, "--all-streams"); err != nil || !strings.Contains(out, "every chain holds") {
		t.Errorf("audit verify --all-streams after two nodes: %v\n%s", err, out)
	}
}
