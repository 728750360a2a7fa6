package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
)

// startESDBCluster starts the test server as a three-node cluster over one
// log and returns it with its connection string, which names every node.
func startESDBCluster(t *testing.T) *esdbProcess {
	t.Helper()
	p := &esdbProcess{t: t, done: make(chan struct{})}
	p.cmd = exec.Command(esdbBinary(t), "--cluster", "3", "--max-append-size", "4194304")
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start esdbserver: %v", err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "esdb://") {
		t.Fatalf("esdbserver printed %q, want its esdb:// URL", sc.Text())
	}
	p.url = sc.Text()
	go func() {
		for sc.Scan() {
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// sendUntilStored sends a chat message with a client id until it is
// acknowledged, as a client does across a store's failover: a retry with
// the same id is answered with the stored message, never stored twice.
func sendUntilStored(t *testing.T, c *wsClient, text string, retries *int) message {
	t.Helper()
	id := uuid.NewString()
	deadline := time.Now().Add(30 * time.Second)
	for {
		f := c.call("sendMessage", map[string]any{"type": "ChatMessage", "id": id, "text": text})
		if f.Event == "ack" {
			return decode[message](t, f.Data)
		}
		if code := decode[errorBody](t, f.Data).Code; f.Event != "error" || code != "store_unavailable" {
			t.Errorf("%q answered %s %s during the failover, want store_unavailable", text, f.Event, f.Data)
		}
		*retries++
		if time.Now().After(deadline) {
			t.Fatalf("%q not stored within 30s; last answer %s %s", text, f.Event, f.Data)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Three test-server nodes, two Parley nodes following the leader: the
// leader is killed in the middle of a chat, and every acknowledged message
// is stored exactly once, in the order of its acknowledgement, and read
// back with since on the other node.
func TestClusterLosesItsLeader(t *testing.T) {
	db := startESDBCluster(t)
	a := startServer(t, t.TempDir(), append([]string{"--store", db.url}, loadLimits...)...)
	b := startServer(t, t.TempDir(), append([]string{"--store", db.url}, loadLimits...)...)
	chat := startChat(t, a, map[string]any{"firstName": "Ada", "channel": "web", "email": "ada@example.com"})
	conv := chat.ConversationID
	customer := dial(t, a, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": chat.Participant.ID, "name": "Ada", "token": chat.Token})
	agent := dialAs(t, b, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "name": "Grace"})

	var acked []message
	retries := 0
	for i := range 120 {
		who := customer
		if i%2 == 1 {
			who = agent
		}
		if i == 60 {
			if err := db.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
		}
		acked = append(acked, sendUntilStored(t, who, fmt.Sprintf("message %d", i), &retries))
	}
	t.Logf("120 messages stored; %d sends were answered with an error and sent again", retries)

	// Every acknowledged message is stored once, with its acknowledged sequence.
	events, _ := history(t, b, conv)
	count := map[string]int{}
	for _, e := range events {
		count[e.ID]++
	}
	for _, m := range acked {
		if count[m.ID] != 1 {
			t.Errorf("%q (%s) is stored %d times", m.Text, m.ID, count[m.ID])
		}
	}
	// A client resuming with since on the other node misses nothing.
	since := *acked[30].Sequence
	var page struct {
		Messages []message `json:"messages"`
		More     bool      `json:"more"`
	}
	if code := a.doAs(t, agentKey, "GET", fmt.Sprintf("/api/conversations/%s?since=%d", conv, since), nil, &page); code != http.StatusOK {
		t.Fatalf("GET since: %d", code)
	}
	got := map[string]bool{}
	for _, m := range page.Messages {
		got[m.ID] = true
	}
	for _, m := range acked[31:] {
		if !got[m.ID] {
			t.Errorf("%q is missing after since=%d", m.Text, since)
		}
	}
}
