package e2e

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// scrape reads a Prometheus text exposition into "name{labels}" -> value.
func scrape(t *testing.T, url, credential string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetricsMoveWithAChat scrapes --metrics-addr before, during and after
// a chat, and checks that the values move as the chat says they should.
func TestMetricsMoveWithAChat(t *testing.T) {
	r := newHookReceiver(t)
	metricsAddr := freeAddr(t)
	args := append([]string{"--metrics-addr", metricsAddr, "--webhook", "crm=" + r.srv.URL}, webhookFlags...)
	s := startServer(t, t.TempDir(), args...)
	url := "http://" + metricsAddr + "/metrics"
	before := scrape(t, url, "")

	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": chat.Participant.ID, "token": chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": "agent-1", "name": "Grace", "role": "agent"})
	for _, text := range []string{"one", "two", "three"} {
		customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": text})
		nextChat(t, agent)
	}
	if f := customer.call("endConversation", map[string]any{"conversationId": "no-such-conversation"}); f.Event != "error" {
		t.Fatalf("ending another conversation answered %s", f.Event)
	}
	customer.call("noSuchCommand", map[string]any{})
	if code := s.do(t, "GET", "/api/conversations/no-such-conversation", nil, nil); code != http.StatusNotFound {
		t.Fatalf("unknown conversation: %d", code)
	}
	eventually(t, "webhook deliveries", func() bool { a, _, _ := r.snapshot(); return len(a) >= 4 })

	during := scrape(t, url, "")
	checks := map[string]func(before, now float64) bool{
		`parley_events_stored_total{type="ChatMessage"}`:                      func(b, n float64) bool { return n-b == 3 },
		`parley_events_stored_total{type="ConversationStarted"}`:              func(b, n float64) bool { return n-b == 1 },
		`parley_store_append_duration_seconds_count`:                          func(b, n float64) bool { return n-b >= 5 },
		`parley_message_delivery_latency_seconds_count`:                       func(b, n float64) bool { return n-b >= 3 },
		`parley_connections_open{role="agent",transport="websocket"}`:         func(b, n float64) bool { return n == 1 },
		`parley_connections_open{role="customer",transport="websocket"}`:      func(b, n float64) bool { return n == 1 },
		`parley_errors_total{code="conversation_not_found",transport="http"}`: func(b, n float64) bool { return n-b == 1 },
		`parley_webhook_deliveries_total{result="success",webhook="crm"}`:     func(b, n float64) bool { return n-b >= 4 },
		`parley_projection_position{projection="feed"}`:                       func(b, n float64) bool { return n > b },
		`parley_store_size_bytes`:                                             func(b, n float64) bool { return n > 0 },
		`go_goroutines`:                                                       func(b, n float64) bool { return n > 0 },
		`process_resident_memory_bytes`:                                       func(b, n float64) bool { return n > 0 },
		`parley_websocket_frames_received_total{event="sendMessage"}`:         func(b, n float64) bool { return n-b == 3 },
		`parley_websocket_frames_received_total{event="joinConversation"}`:    func(b, n float64) bool { return n-b == 2 },
		`parley_websocket_frames_received_total{event="other"}`:               func(b, n float64) bool { return n-b == 1 },
		`parley_errors_total{code="unknown_event",transport="websocket"}`:     func(b, n float64) bool { return n-b == 1 },
		`parley_websocket_frames_sent_total{transport="websocket"}`:           func(b, n float64) bool { return n-b >= 10 },
		`parley_webhook_paused{webhook="crm"}`:                                func(b, n float64) bool { return n == 0 },
	}
	// Every projection with a subscription of its own reports its lag: a
	// few events at most during this chat, seconds behind under a minute.
	// (The transcript email worker subscribes only with --smtp-url.)
	for _, p := range []string{"feed", "transcripts"} {
		checks[`parley_projection_lag_events{projection="`+p+`"}`] = func(b, n float64) bool { return n >= 0 && n < 50 }
		checks[`parley_projection_lag_seconds{projection="`+p+`"}`] = func(b, n float64) bool { return n >= 0 && n < 60 }
	}
	for name, ok := range checks {
		n, present := during[name]
		if !present || !ok(before[name], n) {
			t.Errorf("%s: %v before, %v (present %v) during the chat", name, before[name], n, present)
		}
	}
	for name := range during {
		if strings.Contains(name, chat.ConversationID) || strings.Contains(name, chat.Participant.ID) {
			t.Errorf("a metric is labelled with a conversation or customer id: %s", name)
		}
	}

	eventually(t, "the feed and the transcripts to catch up", func() bool {
		now := scrape(t, url, "")
		return now[`parley_projection_lag_events{projection="feed"}`] == 0 && now[`parley_projection_lag_events{projection="transcripts"}`] == 0 &&
			now[`parley_projection_lag_seconds{projection="feed"}`] == 0
	})

	agent.conn.Close()
	eventually(t, "the agent's connection to close", func() bool {
		return scrape(t, url, "")[`parley_connections_open{role="agent",transport="websocket"}`] == 0
	})
	// With --metrics-addr, the main address does not serve metrics.
	if code := s.do(t, "GET", "/metrics", nil, nil); code != http.StatusNotFound {
		t.Errorf("/metrics on the main address: %d", code)
	}
}

// TestMetricsOnMainAddressForStaff: without --metrics-addr, /metrics on the
// main address answers to staff keys only.
func TestMetricsOnMainAddressForStaff(t *testing.T) {
	s := startServer(t, t.TempDir())
	if code := s.doAs(t, "", "GET", "/metrics", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous /metrics: %d", code)
	}
	if code := s.doAs(t, smsConnectorKey, "GET", "/metrics", nil, nil); code != http.StatusForbidden {
		t.Errorf("connector /metrics: %d", code)
	}
	if m := scrape(t, s.url("/metrics"), agentKey); m["go_goroutines"] == 0 {
		t.Errorf("no go_goroutines in the staff scrape")
	}
}
