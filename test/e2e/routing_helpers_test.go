package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A second agent's key, given through --api-keys-file, which adds to the
// shared keys.
const agent2Key = "agent2-key-0123456789"

// routingKeysFile writes the keys routing tests add, and returns the flag.
func routingKeysFile(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("agent-2:agent:"+agent2Key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--api-keys-file", path}
}

type agentView struct {
	AgentID  string   `json:"agentId"`
	State    string   `json:"state"`
	Queues   []string `json:"queues"`
	Capacity int      `json:"capacity"`
	Assigned []string `json:"assigned"`
}

type assigned struct {
	ConversationID string      `json:"conversationId"`
	Queue          string      `json:"queue"`
	Subject        string      `json:"subject"`
	Channel        string      `json:"channel"`
	Customer       participant `json:"customer"`
	WaitedMs       int64       `json:"waitedMs"`
}

type queueView struct {
	Name         string `json:"name"`
	Waiting      int    `json:"waiting"`
	OldestWaitMs int64  `json:"oldestWaitMs"`
	AgentsReady  int    `json:"agentsReady"`
	AgentsBusy   int    `json:"agentsBusy"`
}

// ready sends agentState ready and returns the ack's data.
func ready(t *testing.T, c *wsClient, data map[string]any) agentView {
	t.Helper()
	data["state"] = "ready"
	return decode[agentView](t, c.mustCall("agentState", data).Data)
}

// nextActivity returns the next messageArrived of the activity kind.
func nextActivity(t *testing.T, c *wsClient, kind string, within time.Duration) message {
	t.Helper()
	f, ok := c.take(func(f frame) bool {
		if f.Event != "messageArrived" {
			return false
		}
		var m message
		return json.Unmarshal(f.Data, &m) == nil && m.ActivityType == kind
	}, within)
	if !ok {
		t.Fatalf("%s: no %s within %s (queued %s)", c.name, kind, within, c.queued())
	}
	return decode[message](t, f.Data)
}

// mustError checks that f is an error frame with code.
func mustError(t *testing.T, f frame, code string) {
	t.Helper()
	if f.Event != "error" {
		t.Fatalf("got %s %s, want error %s", f.Event, f.Data, code)
	}
	if got := decode[errorBody](t, f.Data); got.Code != code || got.Message == "" {
		t.Fatalf("error = %+v, want code %s", got, code)
	}
}

// joinCustomer joins a customer to its conversation and returns its view.
func joinCustomer(t *testing.T, s *server, chat initAnswer) (*wsClient, conversationInfo) {
	t.Helper()
	c := dial(t, s, "customer")
	c.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "token": chat.Token})
	return c, decode[conversationInfo](t, c.next("conversationInfo").Data)
}

func infoOf(t *testing.T, m message) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Info, &v); err != nil {
		t.Fatalf("info of %s: %s: %v", m.ActivityType, m.Info, err)
	}
	return v
}
