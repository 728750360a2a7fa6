package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp: --help and -h of parley and of every command print the usage
// and exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{}, {"serve"}, {"ws"}, {"migrate"}, {"transcripts"}, {"transcripts", "rebuild"}} {
		for _, flag := range []string{"--help", "-h"} {
			cmd := exec.Command(binary, append(append([]string{}, args...), flag)...)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(strings.ToLower(string(out)), "usage") {
				t.Errorf("parley %s %s: %v\n%s", strings.Join(args, " "), flag, err, out)
			}
		}
	}
}

// greetingOf returns the text of the greetings addressed to the joiner in
// conversationInfo.
func greetingOf(t *testing.T, info conversationInfo) string {
	t.Helper()
	for _, m := range info.Messages {
		if m.ActivityType == "greetings" {
			return m.Text
		}
	}
	t.Fatalf("no greetings in %+v", info.Messages)
	return ""
}

// TestInitAsTheDocumentReads: the init request's timestamp and language are
// checked, its own fields are kept and shown to staff only, greetings are
// in the customer's language, and conversationInfo's participant is the
// list of participants.
func TestInitAsTheDocumentReads(t *testing.T) {
	greetings := filepath.Join(t.TempDir(), "greetings.json")
	if err := os.WriteFile(greetings, []byte(`{"pt-BR": "Olá, {name}!"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir(), "--greetings-file", greetings, "--init-burst", "100", "--inits-per-minute", "1000")
	base := func() map[string]any {
		return map[string]any{"channel": "web", "email": "ada@example.com", "firstName": "Ada"}
	}

	for _, tc := range []struct {
		name, key string
		value     any
		field     string
	}{
		{"a timestamp without a zone", "timestamp", "2026-11-23T10:00:00", "timestamp"},
		{"a timestamp that is not ISO 8601", "timestamp", "23/11/2026 10:00", "timestamp"},
		{"a language that is not BCP 47", "language", "english!", "language"},
		{"a field of 1,001 bytes", "loyaltyTier", strings.Repeat("g", 1001), "loyaltyTier"},
		{"a field that is an object", "cart", map[string]any{"items": 2}, "cart"},
		{"a field with a control character", "loyaltyTier", "gold\u0000", "loyaltyTier"},
	} {
		body := base()
		body[tc.key] = tc.value
		var e errorBody
		if code := s.doAs(t, "", "POST", "/api/customer/init", body, &e); code != http.StatusBadRequest || e.Code != "invalid_request" || e.Field != tc.field {
			t.Errorf("%s: %d %+v, want 400 invalid_request on %s", tc.name, code, e, tc.field)
		}
	}
	tooMany := base()
	for i := range 21 {
		tooMany[fmt.Sprintf("custom%02d", i)] = "x"
	}
	var e errorBody
	if code := s.doAs(t, "", "POST", "/api/customer/init", tooMany, &e); code != http.StatusBadRequest || e.Code != "invalid_request" || e.Field != "custom20" {
		t.Errorf("21 fields: %d %+v, want 400 invalid_request on custom20", code, e)
	}

	// Twenty fields of the developer's own are kept, and shown to staff only.
	body := base()
	body["timestamp"], body["language"] = "2026-11-23T10:00:00+01:00", "de-AT"
	for i := range 19 {
		body[fmt.Sprintf("custom%02d", i)] = fmt.Sprintf("value %d", i)
	}
	body["loyaltyTier"] = "gold-7781-secret"
	chat := startChat(t, s, body)
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": chat.Participant.ID, "token": chat.Token})
	raw := customer.next("conversationInfo").Data
	info := decode[conversationInfo](t, raw)
	if got := greetingOf(t, info); got != "Willkommen, Ada." {
		t.Errorf("de-AT greeting %q", got)
	}
	if strings.Contains(string(raw), "gold-7781-secret") {
		t.Error("the customer sees the developer's fields")
	}
	var view struct {
		Self        participant   `json:"self"`
		Participant []participant `json:"participant"`
	}
	json.Unmarshal(raw, &view)
	if view.Self.ID != chat.Participant.ID || len(view.Participant) != len(info.Participants) || len(view.Participant) == 0 {
		t.Errorf("conversationInfo: self %+v, participant %+v, participants %+v", view.Self, view.Participant, info.Participants)
	}

	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "name": "Grace"})
	var staff struct {
		Conversation struct {
			Fields []struct{ Name, Value string } `json:"fields"`
		} `json:"conversation"`
	}
	json.Unmarshal(agent.next("conversationInfo").Data, &staff)
	if n := len(staff.Conversation.Fields); n != 20 || staff.Conversation.Fields[0].Name != "custom00" || staff.Conversation.Fields[19].Value != "gold-7781-secret" {
		t.Errorf("the agent's conversationInfo holds %d fields: %+v", n, staff.Conversation.Fields)
	}
	var rest struct {
		Conversation struct {
			Fields []struct{ Name, Value string } `json:"fields"`
		} `json:"conversation"`
	}
	if code := s.do(t, "GET", "/api/conversations/"+chat.ConversationID, nil, &rest); code != http.StatusOK || len(rest.Conversation.Fields) != 20 {
		t.Errorf("the staff's conversation view: %d, %d fields", code, len(rest.Conversation.Fields))
	}
	if strings.Contains(s.logs.String(), "gold-7781-secret") {
		t.Error("a developer's field was logged")
	}

	// Greetings fall back by language base, then to English.
	for lang, want := range map[string]string{"pt-BR": "Olá, Ada!", "pt-PT": "Bem-vindo, Ada.", "he": "ברוך הבא, Ada.", "ja": "Welcome, Ada."} {
		body := base()
		body["language"] = lang
		chat := startChat(t, s, body)
		c := dial(t, s, "customer-"+lang)
		c.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "id": chat.Participant.ID, "token": chat.Token})
		if got := greetingOf(t, decode[conversationInfo](t, c.next("conversationInfo").Data)); got != want {
			t.Errorf("%s greeting %q, want %q", lang, got, want)
		}
	}
}

// TestPhoneIsRefID: a conversation started on a connector's channel with a
// phone and no refId uses the phone as its refId, so the connector has a
// number to send to.
func TestPhoneIsRefID(t *testing.T) {
	s := startServer(t, t.TempDir())
	sms := register(t, s, "sms", smsConnectorKey)
	chat := startChat(t, s, map[string]any{"channel": "sms", "phone": "+15550123", "firstName": "Ada"})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID, "name": "Grace"})
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Your parcel ships today"})
	if got := receiveChat(t, sms); got.RefID != "+15550123" || got.Text != "Your parcel ships today" {
		t.Fatalf("the connector got %+v, want refId +15550123", got)
	}
}
