package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// member is a client joined to one conversation that records, in arrival
// order, every messageArrived it receives, and what it sent.
type member struct {
	c    *wsClient
	id   string
	role string
	// joined is the last sequence its conversationInfo held.
	joined int64
	seen   []message
	sent   map[string]uint64 // id -> sequence, of the messages it stored
}

// join joins c to conv as id with role and takes its conversationInfo.
func join(t *testing.T, c *wsClient, conv, id, name, role, token string) *member {
	t.Helper()
	data := map[string]any{"conversationId": conv, "id": id, "name": name}
	if role != "customer" {
		data["role"] = role
	}
	if token != "" {
		data["token"] = token
	}
	ack := decode[struct{ Sequence int64 }](t, c.mustCall("joinConversation", data).Data)
	c.next("conversationInfo")
	return &member{c: c, id: id, role: role, joined: ack.Sequence, sent: map[string]uint64{}}
}

// say stores a chat message and remembers it.
func (m *member) say(t *testing.T, text string, extra map[string]any) message {
	t.Helper()
	data := map[string]any{"type": "ChatMessage", "text": text}
	for k, v := range extra {
		data[k] = v
	}
	stored := decode[message](t, m.c.mustCall("sendMessage", data).Data)
	m.sent[stored.ID] = *stored.Sequence
	return stored
}

// until takes messageArrived frames in arrival order, recording each, up to
// the first that matches; it fails after 10s without one.
func (m *member) until(t *testing.T, what string, match func(message) bool) message {
	t.Helper()
	for {
		f, ok := m.c.take(func(f frame) bool { return f.Event == "messageArrived" }, 10*time.Second)
		if !ok {
			t.Fatalf("%s: no %s within 10s (queued: %s)", m.c.name, what, m.c.queued())
		}
		msg := decode[message](t, f.Data)
		m.seen = append(m.seen, msg)
		if match(msg) {
			return msg
		}
	}
}

func withText(text string) func(message) bool {
	return func(m message) bool { return m.Text == text }
}

func withActivity(kind string) func(message) bool {
	return func(m message) bool { return m.ActivityType == kind }
}

// historyEvent is an event of the audit view, with the connection that
// stored it.
type historyEvent struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Sequence uint64          `json:"sequence"`
	Position uint64          `json:"position"`
	Recorded string          `json:"recorded"`
	Data     json.RawMessage `json:"data"`
	Metadata struct {
		CorrelationID string `json:"correlationId"`
		CausationID   string `json:"causationId"`
		SchemaVersion int    `json:"schemaVersion"`
		Connection    string `json:"connection"`
	} `json:"metadata"`
}

// history reads a conversation's whole event history from s.
func history(t *testing.T, s *server, conv string) ([]historyEvent, string) {
	t.Helper()
	var page struct {
		Events []historyEvent `json:"events"`
	}
	if code := s.do(t, "GET", "/api/conversations/"+conv+"/events?limit=10000", nil, &page); code != http.StatusOK {
		t.Fatalf("GET events from %s: %d", s.addr, code)
	}
	return page.Events, mustJSON(t, page.Events)
}

// checkDelivered requires m to have received, in stream order and once
// each, exactly the messages of the history it may see that were stored
// after it joined by other connections than its own. It first takes what
// is still on its way.
func checkDelivered(t *testing.T, m *member, events []historyEvent) {
	t.Helper()
	own := ""
	for _, e := range events {
		if _, ok := m.sent[e.ID]; ok {
			own = e.Metadata.Connection
		}
	}
	if own == "" {
		t.Fatalf("%s: none of its messages is in the history", m.c.name)
	}
	var want []string
	for _, e := range events {
		if (e.Type != "ChatMessage" && e.Type != "ActivityMessage") || int64(e.Sequence) <= m.joined || e.Metadata.Connection == own {
			continue
		}
		if msg := decode[message](t, e.Data); visible(msg, m.id, m.role) {
			want = append(want, msg.ID)
		}
	}
	if len(want) > 0 && !slices.ContainsFunc(m.seen, func(x message) bool { return x.ID == want[len(want)-1] }) {
		last := want[len(want)-1]
		m.until(t, "message "+last, func(x message) bool { return x.ID == last })
	}
	got := make([]string, len(m.seen))
	for i, x := range m.seen {
		got[i] = x.ID
		if i > 0 && *x.Sequence <= *m.seen[i-1].Sequence {
			t.Fatalf("%s: sequence %d arrived after %d", m.c.name, *x.Sequence, *m.seen[i-1].Sequence)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s received %d messages %v,\nwant the %d of the history it may see %v", m.c.name, len(got), got, len(want), want)
	}
}

// visible is who may see a message: whispers are for staff only, and a
// message with recipients is for them and its sender.
func visible(m message, id, role string) bool {
	if m.Tag == "whisper" && role == "customer" {
		return false
	}
	if len(m.To) == 0 || m.From.ID == id {
		return true
	}
	return slices.ContainsFunc(m.To, func(p participant) bool { return p.ID == id })
}

// checkStored requires every message the members stored to be in the
// history exactly once, at the sequence its ack gave, and every chat
// message of the history to be one of theirs: the history is exactly the
// union of what they wrote, in the order the acks said.
func checkStored(t *testing.T, events []historyEvent, members ...*member) {
	t.Helper()
	checkHistory(t, toAudit(events))
	acked := map[string]uint64{}
	for _, m := range members {
		for id, seq := range m.sent {
			acked[id] = seq
		}
	}
	found := map[string]int{}
	for _, e := range events {
		seq, ok := acked[e.ID]
		switch {
		case ok && seq != e.Sequence:
			t.Fatalf("message %s is at sequence %d; its ack said %d", e.ID, e.Sequence, seq)
		case !ok && e.Type == "ChatMessage":
			t.Fatalf("chat message %s at sequence %d was acknowledged to nobody", e.ID, e.Sequence)
		}
		found[e.ID]++
	}
	for id := range acked {
		if found[id] != 1 {
			t.Fatalf("acknowledged message %s is in the history %d times, want once", id, found[id])
		}
	}
}

func toAudit(events []historyEvent) []auditEvent {
	out := make([]auditEvent, len(events))
	for i, e := range events {
		out[i] = auditEvent{ID: e.ID, Type: e.Type, Sequence: e.Sequence, Recorded: e.Recorded, Data: e.Data}
		out[i].Metadata.CorrelationID = e.Metadata.CorrelationID
		out[i].Metadata.CausationID = e.Metadata.CausationID
		out[i].Metadata.SchemaVersion = e.Metadata.SchemaVersion
	}
	return out
}
