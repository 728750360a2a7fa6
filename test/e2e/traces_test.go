package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
)

// TestTracesExportedAndStored: with --otlp-endpoint, the events of a
// request carry its trace id (the one the caller sent in traceparent), and
// spans reach the collector by the time Parley has shut down.
func TestTracesExportedAndStored(t *testing.T) {
	var exports atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" && r.Method == http.MethodPost {
			exports.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	s := startServer(t, t.TempDir(), "--otlp-endpoint", collector.URL)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", s.url("/api/customer/init"), jsonBody(map[string]any{"email": "ada@example.com", "channel": "web"}))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var chat initAnswer
	_ = json.NewDecoder(resp.Body).Decode(&chat)
	resp.Body.Close()

	var page struct {
		Events []struct {
			Type     string `json:"type"`
			Metadata struct {
				TraceID       string `json:"traceId"`
				CorrelationID string `json:"correlationId"`
			} `json:"metadata"`
		} `json:"events"`
	}
	if code := s.do(t, "GET", "/api/conversations/"+chat.ConversationID+"/events", nil, &page); code != http.StatusOK || len(page.Events) == 0 {
		t.Fatalf("events: %d", code)
	}
	for _, e := range page.Events {
		if e.Metadata.TraceID != traceID || e.Metadata.CorrelationID == "" {
			t.Errorf("%s metadata = %+v, want trace %s beside its correlation id", e.Type, e.Metadata, traceID)
		}
	}
	// A websocket command's append starts a trace of its own.
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": chat.Participant.ID, "token": chat.Token})
	s.do(t, "GET", "/api/conversations/"+chat.ConversationID+"/events", nil, &page)
	last := page.Events[len(page.Events)-1].Metadata.TraceID
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(last) || last == traceID {
		t.Errorf("the join's event carries trace %q", last)
	}
	s.stop()
	if exports.Load() == 0 {
		t.Errorf("no spans reached the collector")
	}
}

func jsonBody(v any) *bytes.Reader {
	raw, _ := json.Marshal(v)
	return bytes.NewReader(raw)
}
