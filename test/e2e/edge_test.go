package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawPost sends body to path as it is, with the given Content-Type (none
// when empty) and bearer credential, and returns the status and the error
// body. A body that is an io.Reader of unknown length goes out chunked.
func (s *server) rawPost(t *testing.T, credential, path, contentType string, body io.Reader) (int, errorBody, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", s.url(path), body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e errorBody
	_ = json.Unmarshal(raw, &e)
	return resp.StatusCode, e, raw
}

// unsized hides the length of r, so that the client sends it chunked.
type unsized struct{ r io.Reader }

func (u unsized) Read(p []byte) (int, error) { return u.r.Read(p) }

// TestInputAtTheEdge sends the REST API and the websocket what a careless or
// hostile client would, and checks that each gets its clear error and that
// nothing of it is stored.
func TestInputAtTheEdge(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "--max-body-bytes", "4096", "--inits-per-minute", "1000", "--init-burst", "1000")
	const init = "/api/customer/init"
	big := `{"channel":"web","refId":"r","comment":"` + strings.Repeat("x", 8000) + `"}`
	for _, tc := range []struct {
		name, credential, path, contentType string
		body                                io.Reader
		status                              int
		code                                string
	}{
		{"chunked body over the limit", "", init, "application/json", unsized{strings.NewReader(big)}, 413, "too_large"},
		{"sized body over the limit", "", init, "application/json", strings.NewReader(big), 413, "too_large"},
		{"chunked send over the limit", senderKey, "/api/channels/sms/messages", "application/json",
			unsized{strings.NewReader(`{"refId":"+15550001","text":"` + strings.Repeat("x", 8000) + `"}`)}, 413, "too_large"},
		{"text/plain init", "", init, "text/plain", strings.NewReader(`{"channel":"web","refId":"r"}`), 415, "unsupported_media_type"},
		{"form init", "", init, "application/x-www-form-urlencoded", strings.NewReader(`channel=web&refId=r`), 415, "unsupported_media_type"},
		{"init without a Content-Type", "", init, "", strings.NewReader(`{"channel":"web","refId":"r"}`), 415, "unsupported_media_type"},
		{"text/plain send", senderKey, "/api/channels/sms/messages", "text/plain;charset=UTF-8", strings.NewReader(`{"refId":"+15550001","text":"hi"}`), 415, "unsupported_media_type"},
		{"trailing text", "", init, "application/json", strings.NewReader(`{"channel":"web","refId":"r"} and more`), 400, "invalid_request"},
		{"a second object", "", init, "application/json", strings.NewReader(`{"channel":"web","refId":"r"}{"channel":"sms"}`), 400, "invalid_request"},
		{"trailing bytes after a send", senderKey, "/api/channels/sms/messages", "application/json", strings.NewReader(`{"refId":"+15550001","text":"hi"}]`), 400, "invalid_request"},
		{"NUL in a third-party text", senderKey, "/api/channels/sms/messages", "application/json", strings.NewReader(`{"refId":"+15550009","text":"a\u0000b"}`), 400, "invalid_message"},
		{"escape in a third-party sender's name", senderKey, "/api/channels/sms/messages", "application/json", strings.NewReader(`{"refId":"+15550009","text":"hi","from":{"id":"shop","name":"\u001b[2J"}}`), 400, "invalid_message"},
		{"NUL in a first name", "", init, "application/json", strings.NewReader(`{"channel":"web","refId":"r","firstName":"Ada\u0000"}`), 400, "invalid_message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, e, raw := s.rawPost(t, tc.credential, tc.path, tc.contentType, tc.body)
			if status != tc.status || e.Code != tc.code || e.Message == "" {
				t.Fatalf("%d %s, want %d with code %s and a message", status, raw, tc.status, tc.code)
			}
		})
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		status, _, raw := s.rawPost(t, "", init, ct, strings.NewReader("{\"channel\":\"web\",\"refId\":\"ok\"}\r\n\t "))
		if status != http.StatusOK {
			t.Fatalf("init as %s with trailing white space: %d %s, want 200", ct, status, raw)
		}
	}
	status, e, _ := s.rawPost(t, "", init, "application/json", strings.NewReader(`{"channel":"web","refId":"r","lastName":"L\u001b[2J"}`))
	if status != http.StatusBadRequest || e.Field != "lastName" {
		t.Fatalf("escape in a last name: %d %+v, want 400 on field lastName", status, e)
	}
	// The refused third-party sends started no conversation for their
	// customer, and no refused body left anything in the store.
	s.stop()
	for _, rec := range readDisk(t, dataDir) {
		if strings.Contains(string(rec.Data), "+15550009") || strings.Contains(string(rec.Data), `\u0000`) || strings.Contains(string(rec.Data), "xxxxxxxx") {
			t.Errorf("a refused request stored %s: %s", rec.Type, rec.Data)
		}
	}
}

// TestLongIDsAreNotEchoed asks for a conversation by a 100,000-character id
// on every route that takes one, and checks that neither the answers nor
// the server's log repeat more than 100 characters of it.
func TestLongIDsAreNotEchoed(t *testing.T) {
	s := startServer(t, t.TempDir())
	long := strings.Repeat("q", 100000)
	chat := startChat(t, s, map[string]any{"channel": "web", "refId": "long-ids"})
	for _, path := range []string{
		"/api/conversations/" + long,
		"/api/conversations/" + long + "/events",
		"/api/conversations/" + long + "/transcript-emails",
		"/api/customer/transcript/" + long + "/pdf",
		"/api/customer/transcript/" + chat.ConversationID + "/" + long,
		"/api/conversations/" + long + "/messages/m/delivery",
		"/api/conversations/" + chat.ConversationID + "/messages/" + long + "/delivery",
		"/api/conversations/a%20b",
		"/api/conversations/a%00b",
	} {
		status, _, body := s.get(t, supervisorKey, path)
		var e errorBody
		_ = json.Unmarshal(body, &e)
		if status != http.StatusBadRequest || e.Code != "invalid_request" {
			t.Errorf("GET %.60s…: %d %.300s, want 400 invalid_request", path, status, body)
		}
		if strings.Contains(string(body), long[:101]) {
			t.Errorf("GET %.60s… echoes more than 100 characters of the id", path)
		}
	}
	status, e, body := s.rawPost(t, senderKey, "/api/channels/"+long+"/messages", "application/json", strings.NewReader(`{"refId":"r","text":"hi"}`))
	if status != http.StatusBadRequest || e.Code != "invalid_request" || strings.Contains(string(body), long[:101]) {
		t.Errorf("POST to a 100,000-character channel: %d %.300s, want a short 400 invalid_request", status, body)
	}
	s.expectCode(t, supervisorKey, "/api/"+long+"/x", http.StatusNotFound, "route_not_found")
	if req, err := http.NewRequest(long, s.url("/api/customer/init"), nil); err == nil {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	// A well-formed id that names nothing is still looked up: 404.
	s.expectCode(t, supervisorKey, "/api/conversations/"+strings.Repeat("q", 100), http.StatusNotFound, "conversation_not_found")

	// Over the websocket, where ids travel in frames, not paths, as long as
	// a frame may be: the error event holds no more than 100 characters of
	// the id either.
	framed := long[:60000]
	agent := dialAs(t, s, "agent", agentKey)
	f := agent.call("joinConversation", map[string]any{"conversationId": framed})
	if f.Event != "error" || strings.Contains(string(f.Data), long[:101]) {
		t.Errorf("join with a 60,000-character id: %s %.300s, want a short error", f.Event, f.Data)
	}
	f = agent.call(framed, map[string]any{})
	if f.Event != "error" || strings.Contains(string(f.Data), long[:101]) {
		t.Errorf("a 60,000-character event name: %s %.300s, want a short error", f.Event, f.Data)
	}
	agent.conn.Close()
	s.stop()
	if logs := s.logs.String(); strings.Contains(logs, long[:101]) {
		t.Errorf("the server's log repeats more than 100 characters of the id")
	}
}

// TestControlCharactersAreRefused sends texts and names with NUL and other
// control characters over the websocket: each is refused with
// invalid_message and its field, and nothing of it is stored.
func TestControlCharactersAreRefused(t *testing.T) {
	s := startServer(t, t.TempDir())
	chat := startChat(t, s, map[string]any{"channel": "web", "refId": "controls"})
	conv := chat.ConversationID
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": conv, "token": chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	for _, tc := range []struct {
		who   *wsClient
		event string
		data  map[string]any
		field string
	}{
		{agent, "joinConversation", map[string]any{"conversationId": conv, "name": "Gr\u0000ace"}, "name"},
		{customer, "sendMessage", map[string]any{"type": "ChatMessage", "text": "a\u0000b"}, "text"},
		{customer, "sendMessage", map[string]any{"type": "ChatMessage", "text": "\u001b[2Jcleared"}, "text"},
		{customer, "sendMessage", map[string]any{"type": "ChatMessage", "text": "next\u0085line"}, "text"},
		{customer, "sendMessage", map[string]any{"type": "ChatMessage", "text": "see", "attachments": []map[string]string{{"name": "a\u0007.png", "contentUrl": "https://example.com/a.png"}}}, "attachments.name"},
	} {
		f := tc.who.call(tc.event, tc.data)
		e := decode[errorBody](t, f.Data)
		if f.Event != "error" || e.Code != "invalid_message" || e.Field != tc.field {
			t.Errorf("%s %v: %s %s, want invalid_message on field %s", tc.event, tc.data, f.Event, f.Data, tc.field)
		}
	}
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "tab\there\r\nand a new line"})
	for _, e := range readAllEvents(t, s, conv) {
		if strings.Contains(string(e.Data), `\u0000`) || strings.Contains(string(e.Data), `\u001b`) {
			t.Errorf("a refused control character was stored: %s", e.Data)
		}
	}
}
