package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/projections"
)

// staffViews is what the staff's REST view shows of routing.
type staffViews struct {
	Queues        []queueView
	Agents        []agentView
	Conversations []conversationRow
}

func viewsOf(t *testing.T, s *server) staffViews {
	t.Helper()
	var v staffViews
	var queues struct {
		Queues []queueView `json:"queues"`
	}
	var agents struct {
		Agents []agentView `json:"agents"`
	}
	if code := s.do(t, "GET", "/api/queues", nil, &queues); code != http.StatusOK {
		t.Fatalf("GET /api/queues: %d", code)
	}
	if code := s.do(t, "GET", "/api/agents", nil, &agents); code != http.StatusOK {
		t.Fatalf("GET /api/agents: %d", code)
	}
	v.Queues, v.Agents = queues.Queues, agents.Agents
	for i := range v.Queues {
		v.Queues[i].OldestWaitMs = 0 // it grows while the test runs
	}
	for _, a := range v.Agents {
		slices.Sort(a.Assigned)
	}
	v.Conversations = listAll(t, s, url.Values{"limit": {"100"}}, 100)
	return v
}

// TestRoutingRestartFromSnapshot: a node restarted after routed
// conversations (ended, active and queued) serves the staff the same
// queues, agents and conversations as before, from the routing board's
// snapshot; with that snapshot damaged, it folds the history instead, says
// so, and still serves the same. Its first list of ended conversations
// after the restart is whole.
func TestRoutingRestartFromSnapshot(t *testing.T) {
	// Given an agent of capacity 2 in billing, and seven billing chats:
	// two ended, two active, three waiting,
	dir := t.TempDir()
	s := startServer(t, dir, "--queues", "billing")
	agent := dialAs(t, s, "agent1", agentKey)
	ready(t, agent, map[string]any{"queues": []string{"billing"}, "capacity": 2})
	var convs []string
	for i := range 7 {
		n := string(rune('a' + i))
		convs = append(convs, startChat(t, s, map[string]any{"firstName": "Cust" + n, "email": n + "@example.com",
			"channel": "web", "subject": "billing"}).ConversationID)
	}
	for _, conv := range convs[:2] {
		agent.mustCall("endConversation", map[string]any{"conversationId": conv})
	}
	want := viewsOf(t, s)
	waitFor(t, "two active, three waiting and two ended", func() bool {
		want = viewsOf(t, s)
		status := map[string]int{}
		for _, r := range want.Conversations {
			status[r.Status]++
		}
		return status["active"] == 2 && status["queued"] == 3 && status["ended"] == 2
	})
	agent.conn.Close()
	time.Sleep(200 * time.Millisecond) // the router folds the agent's disconnection
	want = viewsOf(t, s)

	// when the node stops and starts again,
	s.stop()
	snapshot := filepath.Join(dir, "readmodels", "routing.snapshot")
	if _, err := os.Stat(snapshot); err != nil {
		t.Fatalf("no routing snapshot after a stop: %v", err)
	}
	s = startServer(t, dir, "--queues", "billing")

	// then its first list of ended conversations is whole (the snapshot's
	// ended conversations are added after the node serves, and the list
	// waits for them),
	var ended []string
	for _, r := range listAll(t, s, url.Values{"status": {"ended"}, "limit": {"100"}}, 100) {
		ended = append(ended, r.ID)
	}
	slices.Sort(ended)
	if want := slices.Sorted(slices.Values(convs[:2])); !slices.Equal(ended, want) {
		t.Fatalf("ended conversations right after the restart: %v, want %v", ended, want)
	}
	// the staff sees what it saw before,
	if !strings.Contains(s.logs.String(), "routing board restored from its snapshot") {
		t.Fatalf("the board was not restored from its snapshot:\n%s", s.logs.String())
	}
	if got := viewsOf(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the restart:\n%+v\nbefore:\n%+v", got, want)
	}

	// and with the snapshot damaged, the board is folded from the history.
	s.stop()
	data, err := os.ReadFile(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	good := slices.Clone(data)
	data[len(data)-3] ^= 0x40
	if err := os.WriteFile(snapshot, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s = startServer(t, dir, "--queues", "billing")
	if logs := s.logs.String(); !strings.Contains(logs, "ignoring the routing board's snapshot") || !strings.Contains(logs, "checksum mismatch") {
		t.Fatalf("no warning about the damaged snapshot:\n%s", logs)
	}
	if got := viewsOf(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a full fold:\n%+v\nbefore:\n%+v", got, want)
	}

	// With its ended conversations torn under a checksum that holds (what a
	// bug would write), the board is folded from the history, with an error.
	s.stop()
	if err := os.WriteFile(snapshot, good, 0o600); err != nil {
		t.Fatal(err)
	}
	tearEndedConversations(t, snapshot)
	s = startServer(t, dir, "--queues", "billing")
	if got := viewsOf(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the ended conversations failed to load:\n%+v\nbefore:\n%+v", got, want)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "level=ERROR msg=\"the routing snapshot's ended conversations do not decode") ||
		!strings.Contains(logs, "routing board folded from the history") {
		t.Fatalf("no error about the ended conversations, or no fold:\n%s", logs)
	}
}

// tearEndedConversations cuts the last bytes of a routing snapshot (its
// ended conversations come last) and saves it with a length and checksum
// that hold.
func tearEndedConversations(t *testing.T, path string) {
	t.Helper()
	file := projections.SnapshotFile{Path: path}
	var st projections.RoutingState
	cp, ok, err := file.Load(&st)
	if err != nil || !ok {
		t.Fatalf("load the routing snapshot: %v, %v", ok, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body := data[strings.IndexByte(string(data), '\n')+1:]
	if err := file.Save(cp, rawSnapshot(body[:len(body)-3])); err != nil {
		t.Fatal(err)
	}
}

// rawSnapshot is a snapshot's state saved as it is.
type rawSnapshot []byte

func (r rawSnapshot) MarshalBinary() ([]byte, error) { return r, nil }
