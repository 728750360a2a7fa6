package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// TestPointInTime reads a conversation as it was after each of its events,
// and at the instants the store recorded them, on the embedded store and on
// the EventStoreDB test server.
func TestPointInTime(t *testing.T) {
	t.Run("embedded store", func(t *testing.T) { checkPointInTime(t, startServer(t, t.TempDir())) })
	t.Run("EventStoreDB", func(t *testing.T) {
		db := startESDB(t)
		checkPointInTime(t, startServer(t, t.TempDir(), "--store", db.url))
	})
}

// pastView is what a test reads of a view of the past.
type pastView struct {
	Conversation struct {
		Status string `json:"status"`
	} `json:"conversation"`
	Version  int64     `json:"version"`
	Messages []message `json:"messages"`
	AsOf     *struct {
		Sequence int64  `json:"sequence"`
		Recorded string `json:"recorded"`
	} `json:"asOf"`
}

func checkPointInTime(t *testing.T, s *server) {
	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	conv := chat.ConversationID
	customer := join(t, dial(t, s, "customer"), conv, chat.Participant.ID, "Ada", "customer", chat.Token)
	agent := join(t, dialAs(t, s, "agent", agentKey), conv, "agent-1", "Grace", "agent", "")
	customer.say(t, "Hello, I need help", nil)
	agent.say(t, "VIP", map[string]any{"tag": "whisper"})
	agent.say(t, "How can I help?", nil)
	agent.c.mustCall("endConversation", map[string]any{"conversationId": conv})
	customer.until(t, "the end", withActivity("endOfConversation"))

	var hist eventsPage
	if code := s.do(t, "GET", "/api/conversations/"+conv+"/events", nil, &hist); code != http.StatusOK {
		t.Fatalf("events: %d", code)
	}
	checkHistory(t, hist.Events) // each event with its metadata, as the audit page shows it
	last := int64(len(hist.Events) - 1)
	base := "/api/conversations/" + conv

	// At the last sequence, and beyond it, the view is the live view.
	var live map[string]any
	s.do(t, "GET", base, nil, &live)
	for _, at := range []int64{last, last + 1000} {
		var past map[string]any
		if code := s.do(t, "GET", fmt.Sprintf("%s?at=%d", base, at), nil, &past); code != http.StatusOK {
			t.Fatalf("at %d: %d %v", at, code, past)
		}
		asOf, _ := past["asOf"].(map[string]any)
		if asOf["sequence"] != float64(last) || asOf["recorded"] != hist.Events[last].Recorded {
			t.Fatalf("at %d: asOf %v, want sequence %d recorded %s", at, asOf, last, hist.Events[last].Recorded)
		}
		delete(past, "asOf")
		if !reflect.DeepEqual(past, live) {
			t.Fatalf("at %d the view differs from the live view:\npast %v\nlive %v", at, past, live)
		}
	}

	// After each event: that event's sequence, every message up to it, and
	// the status it left; its recorded instant gives the same view.
	status := "active"
	for k, e := range hist.Events {
		var byAt, byTime pastView
		s.do(t, "GET", fmt.Sprintf("%s?at=%d", base, k), nil, &byAt)
		if byAt.AsOf == nil || byAt.AsOf.Sequence != int64(k) || byAt.Version != int64(k) || len(byAt.Messages) != k {
			t.Fatalf("at %d: version %d, asOf %+v, %d messages", k, byAt.Version, byAt.AsOf, len(byAt.Messages))
		}
		if k > 0 {
			if m := byAt.Messages[k-1]; m.ID != e.ID {
				t.Fatalf("at %d: the last message is %s, want %s", k, m.ID, e.ID)
			}
			if m := decode[message](t, e.Data); m.ActivityType == "endOfConversation" {
				status = "ended"
			}
		}
		if byAt.Conversation.Status != status && !(status == "active" && byAt.Conversation.Status == "queued") {
			t.Fatalf("at %d: status %s, want %s", k, byAt.Conversation.Status, status)
		}
		s.do(t, "GET", base+"?asOf="+url.QueryEscape(e.Recorded), nil, &byTime)
		if byTime.AsOf == nil || byTime.AsOf.Sequence < int64(k) || byTime.AsOf.Recorded != e.Recorded && byTime.AsOf.Sequence == int64(k) {
			t.Fatalf("asOf %s (event %d): %+v", e.Recorded, k, byTime.AsOf)
		}
	}

	// Bad input gets a clear answer.
	for _, tc := range []struct {
		name, credential, query string
		status                  int
		code, field             string
	}{
		{"a malformed at", supervisorKey, "?at=seven", 400, "invalid_request", "at"},
		{"a negative at", supervisorKey, "?at=-1", 400, "invalid_request", "at"},
		{"an empty at", agentKey, "?at=", 400, "invalid_request", "at"},
		{"a malformed asOf", supervisorKey, "?asOf=yesterday", 400, "invalid_request", "asOf"},
		{"both", supervisorKey, "?at=1&asOf=2026-12-04T10:00:00Z", 400, "invalid_request", "asOf"},
		{"before the conversation", supervisorKey, "?asOf=2000-01-01T00:00:00Z", 404, "conversation_not_found", "asOf"},
		{"the customer", chat.Token, "?at=1", 403, "forbidden", ""},
		{"a connector", smsConnectorKey, "?at=1", 403, "forbidden", ""},
		{"a bad limit", supervisorKey, "?at=1&limit=0", 400, "invalid_request", "limit"},
	} {
		var e errorBody
		if code := s.doAs(t, tc.credential, "GET", base+tc.query, nil, &e); code != tc.status || e.Code != tc.code || e.Field != tc.field || e.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s naming %q", tc.name, code, e, tc.status, tc.code, tc.field)
		}
	}
	var e errorBody
	if code := s.do(t, "GET", "/api/conversations/00000000-0000-4000-8000-000000000000?at=3", nil, &e); code != 404 || e.Code != "conversation_not_found" {
		t.Errorf("unknown conversation: %d %+v", code, e)
	}

	// A past view pages as the live view does.
	var page pastView
	s.do(t, "GET", fmt.Sprintf("%s?at=%d&limit=2", base, last), nil, &page)
	if len(page.Messages) != 2 || page.Messages[1].ID != hist.Events[last].ID {
		t.Fatalf("a page of 2 at %d: %+v", last, page.Messages)
	}
}
