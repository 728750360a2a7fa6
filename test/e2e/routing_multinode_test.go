package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
)

// routedAgent is an agent connection that ends each conversation it is
// assigned after holding it for hold.
type routedAgent struct {
	id   string
	c    *wsClient
	node int
	got  atomic.Int64
}

func (a *routedAgent) work(stop <-chan struct{}, hold time.Duration, errs chan<- error) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		f, ok := a.c.take(func(f frame) bool { return f.Event == "conversationAssigned" }, 200*time.Millisecond)
		if !ok {
			continue
		}
		var d struct{ ConversationID string }
		if err := json.Unmarshal(f.Data, &d); err != nil {
			errs <- err
			return
		}
		a.got.Add(1)
		time.Sleep(hold)
		a.c.wmu.Lock()
		err := a.c.conn.WriteJSON(map[string]any{"event": "endConversation", "data": map[string]any{"conversationId": d.ConversationID}})
		a.c.wmu.Unlock()
		if err != nil {
			return // the node died under it
		}
	}
}

// TestMultiNodeRouting routes 300 conversations to 12 agents of capacity 3
// spread over two nodes on one EventStoreDB, with customers on either node,
// kills one node mid-run, and checks from the event history that no
// conversation was ever held by two agents at once, that no agent ever held
// more than its capacity, and that the dead node's agents' conversations
// went to agents on the other node.
func TestMultiNodeRouting(t *testing.T) {
	const conversations, agentsN, capacity = 300, 12, 3
	var keys strings.Builder
	for i := range agentsN {
		fmt.Fprintf(&keys, "ra-%02d:agent:routed-agent-key-%02d-0123456789\n", i, i)
	}
	keysFile := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keysFile, []byte(keys.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	db, nodes := startNodes(t, 2, append(loadLimits, "--api-keys-file", keysFile, "--presence-grace", "2s")...)

	agents := make([]*routedAgent, agentsN)
	stop := make(chan struct{})
	errs := make(chan error, agentsN)
	var wg sync.WaitGroup
	for i := range agents {
		a := &routedAgent{id: fmt.Sprintf("ra-%02d", i), node: i % 2}
		a.c = dialAs(t, nodes[a.node], a.id, fmt.Sprintf("routed-agent-key-%02d-0123456789", i))
		ready(t, a.c, map[string]any{"capacity": capacity})
		agents[i] = a
		wg.Add(1)
		go func() { defer wg.Done(); a.work(stop, 150*time.Millisecond, errs) }()
	}
	defer func() { close(stop); wg.Wait() }()

	started := make([]string, 0, conversations)
	for i := range conversations {
		node := nodes[i%2]
		if i >= conversations/3 {
			if i == conversations/3 {
				nodes[1].kill()
				t.Logf("killed node B after %d inits", i)
			}
			node = nodes[0]
		}
		chat := startChat(t, node, map[string]any{"firstName": fmt.Sprint("C", i), "refId": fmt.Sprint("cust-", i), "channel": "web"})
		started = append(started, chat.ConversationID)
		time.Sleep(5 * time.Millisecond)
	}

	deadline := time.Now().Add(2 * time.Minute)
	for {
		var list struct{ Conversations []struct{ ID string } }
		nodes[0].do(t, "GET", "/api/conversations?status=ended&limit=500", nil, &list)
		if len(list.Conversations) == conversations {
			break
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d conversations ended within 2 minutes", len(list.Conversations), conversations)
		}
		time.Sleep(200 * time.Millisecond)
	}
	checkRoutingHistory(t, db.url, started, agents, capacity)
}

// checkRoutingHistory reads every event of the store and checks the
// routing decisions in it.
func checkRoutingHistory(t *testing.T, url string, convs []string, agents []*routedAgent, capacity int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := esdb.Open(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	type ticket struct {
		assigned, queued int
		holder           string
		holders          []string
	}
	tickets := map[string]*ticket{}
	held, ended := map[string]map[string]bool{}, map[string]bool{}
	var from domain.After
	for {
		recs, err := store.ReadAll(ctx, from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			from = domain.After(r.Position)
			var d struct{ ConversationID, AgentID string }
			_ = json.Unmarshal(r.Data, &d)
			switch r.Type {
			case "ConversationQueued", "ConversationAssigned", "ConversationUnassigned":
				tk := tickets[d.ConversationID]
				if tk == nil {
					tk = &ticket{}
					tickets[d.ConversationID] = tk
				}
				switch r.Type {
				case "ConversationQueued":
					tk.queued++
				case "ConversationAssigned":
					tk.assigned++
					if tk.assigned > tk.queued {
						t.Fatalf("conversation %s assigned to %s without being queued again (held by %q)", d.ConversationID, d.AgentID, tk.holder)
					}
					tk.holder = d.AgentID
					tk.holders = append(tk.holders, d.AgentID)
				}
			case "ActivityMessage":
				conv, _ := domain.ConversationIDOf(r.Stream)
				// Parley's handOff before any routing event is the first
				// queueing of a conversation init started (ADR 29).
				if tickets[conv] == nil && bytes.Contains(r.Data, []byte(`"handOff"`)) && bytes.Contains(r.Data, []byte(`"role":"system"`)) {
					tickets[conv] = &ticket{queued: 1}
				}
				// A conversation's end releases its claims.
				if bytes.Contains(r.Data, []byte(`"endOfConversation"`)) {
					ended[conv] = true
					for _, h := range held {
						delete(h, conv)
					}
				}
			case "AgentClaimed", "AgentReleased":
				if held[d.AgentID] == nil {
					held[d.AgentID] = map[string]bool{}
				}
				if r.Type == "AgentClaimed" && !ended[d.ConversationID] {
					held[d.AgentID][d.ConversationID] = true
				} else {
					delete(held[d.AgentID], d.ConversationID)
				}
				if n := len(held[d.AgentID]); n > capacity {
					t.Fatalf("agent %s held %d conversations, more than its capacity %d", d.AgentID, n, capacity)
				}
			}
		}
		if len(recs) < 1000 {
			break
		}
	}
	nodeOf := map[string]int{}
	for _, a := range agents {
		nodeOf[a.id] = a.node
	}
	moved := 0
	for _, id := range convs {
		tk := tickets[id]
		if tk == nil || tk.assigned == 0 {
			t.Fatalf("conversation %s was never assigned", id)
		}
		if tk.assigned > 1 {
			last := tk.holders[len(tk.holders)-1]
			if nodeOf[tk.holders[len(tk.holders)-2]] != 1 || nodeOf[last] != 0 {
				t.Fatalf("conversation %s went %v: a reassignment must go from the dead node's agent to the live node's", id, tk.holders)
			}
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no conversation of the dead node's agents was assigned again")
	}
	t.Logf("%d conversations routed; %d held by the killed node's agents were assigned again on the other node", len(convs), moved)
}
