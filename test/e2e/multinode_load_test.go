package e2e

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// perSender is how many messages each of the four senders stores at once:
// 200 per node.
const perSender = 100

// TestMultiNodeConcurrentSends has clients on two nodes send to one
// conversation at the same time, so that the nodes' appends race on the
// same stream: every acknowledged message must be stored exactly once, at
// the sequence its ack gave, with no gap, and reach every other member in
// order.
func TestMultiNodeConcurrentSends(t *testing.T) {
	_, nodes := startNodes(t, 2, loadLimits...)
	a, b := nodes[0], nodes[1]
	chat := startChat(t, a, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	conv := chat.ConversationID
	members := []*member{
		join(t, dial(t, a, "customer"), conv, chat.Participant.ID, "Ada", "customer", chat.Token),
		join(t, dialAs(t, a, "supervisor", supervisorKey), conv, "sup-1", "Sam", "supervisor", ""),
		join(t, dialAs(t, b, "agent", agentKey), conv, "agent-1", "Grace", "agent", ""),
		join(t, dialAs(t, b, "bot", botKey), conv, "bot-1", "Bot", "bot", ""),
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(members))
	for _, m := range members {
		wg.Go(func() {
			if err := burst(m, perSender); err != nil {
				errs <- fmt.Errorf("%s: %w", m.c.name, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	took := time.Since(start)
	t.Logf("%d messages from 4 clients on 2 nodes stored in %v (%.0f/s)", len(members)*perSender, took,
		float64(len(members)*perSender)/took.Seconds())

	fromA, rawA := history(t, a, conv)
	_, rawB := history(t, b, conv)
	if rawA != rawB {
		t.Fatalf("the nodes serve different histories")
	}
	checkStored(t, fromA, members...)
	for _, m := range members {
		checkDelivered(t, m, fromA)
	}
}

// burst sends n messages without waiting, then collects their acks, and
// records the stored messages in m.sent. It runs on its own goroutine, so
// it returns its failure instead of failing the test.
func burst(m *member, n int) error {
	texts := map[string]string{}
	for i := range n {
		ack := fmt.Sprintf("%s-burst-%d", m.c.name, i)
		texts[ack] = fmt.Sprintf("%s says %d", m.c.name, i)
		f := map[string]any{"event": "sendMessage", "ack": ack, "data": map[string]any{"type": "ChatMessage", "text": texts[ack]}}
		m.c.wmu.Lock()
		err := m.c.conn.WriteJSON(f)
		m.c.wmu.Unlock()
		if err != nil {
			return err
		}
	}
	for ack, text := range texts {
		want, _ := json.Marshal(ack)
		f, ok := m.c.take(func(f frame) bool {
			return (f.Event == "ack" || f.Event == "error") && string(f.Ack) == string(want)
		}, 30*time.Second)
		if !ok {
			return fmt.Errorf("no answer to %s within 30s", ack)
		}
		if f.Event != "ack" {
			return fmt.Errorf("%s answered %s", ack, f.Data)
		}
		var stored message
		if err := json.Unmarshal(f.Data, &stored); err != nil || stored.Sequence == nil || stored.Text != text {
			return fmt.Errorf("%s: ack %s does not hold the stored message (%v)", ack, f.Data, err)
		}
		m.sent[stored.ID] = *stored.Sequence
	}
	return nil
}
