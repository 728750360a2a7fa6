package e2e

import (
	"testing"
)

// TestSocketIORouting: routing's events work over Socket.IO as they do on
// the JSON websocket: an agent says it is ready with agentState, is
// assigned a new conversation (conversationAssigned, then conversationInfo),
// and a supervisor watching the queues gets queueUpdated.
func TestSocketIORouting(t *testing.T) {
	s := startServer(t, t.TempDir())

	supervisor := dialSIO(t, s, "supervisor", map[string]any{"auth": map[string]any{"apiKey": supervisorKey}})
	supervisor.connected()
	supervisor.mustCall("watchQueues", map[string]any{})

	agent := dialSIO(t, s, "agent", map[string]any{"auth": map[string]any{"apiKey": agentKey}})
	agent.connected()
	state := decode[struct {
		AgentID  string   `json:"agentId"`
		State    string   `json:"state"`
		Capacity int      `json:"capacity"`
		Assigned []string `json:"assigned"`
	}](t, agent.mustCall("agentState", map[string]any{"state": "ready", "capacity": 2}))
	if state.AgentID != "agent-1" || state.State != "ready" || state.Capacity != 2 || len(state.Assigned) != 0 {
		t.Fatalf("agentState callback = %+v", state)
	}
	if e := agent.callError("agentState", map[string]any{"state": "ready", "queues": []string{"nowhere"}}); e.Code != "unknown_queue" {
		t.Fatalf("an unknown queue: %+v, want unknown_queue", e)
	}

	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	got := decode[assigned](t, agent.event("conversationAssigned"))
	if got.ConversationID != chat.ConversationID || got.Queue != "default" || got.Channel != "web" {
		t.Fatalf("conversationAssigned = %+v, want conversation %s in the default queue", got, chat.ConversationID)
	}
	info := decode[conversationInfo](t, agent.event("conversationInfo"))
	if info.Conversation.ID != chat.ConversationID || info.Role != "agent" {
		t.Fatalf("conversationInfo after the assignment = %+v", info)
	}
	// The assigned agent's socket is joined: it can answer at once.
	sent := decode[message](t, agent.mustCall("sendMessage", map[string]any{"conversationId": chat.ConversationID, "type": "ChatMessage", "text": "Hello from Socket.IO"}))
	if sent.ID == "" || sent.ConversationID != chat.ConversationID {
		t.Fatalf("the assigned agent's send = %+v", sent)
	}

	if q := decode[queueView](t, supervisor.event("queueUpdated")); q.Name != "default" {
		t.Fatalf("queueUpdated = %+v, want the default queue", q)
	}
}
