package domain_test

import (
	"cmp"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-chat/parley/domain"
)

func TestDecideRefusesControlCharacters(t *testing.T) {
	live := []domain.Event{started(), joined(customer), joined(agent)}
	toNamed := chat(customer, "hi")
	toNamed.To = []domain.Participant{{ID: agent.ID, Name: "Gr\x00ace"}}
	attach := chat(customer, "")
	attach.Attachments = []domain.Attachment{{Name: "a\x1b[2J.png", ContentURL: "https://example.com/a.png"}}
	keeps := chat(customer, "line one\r\nline two\tand a tab")
	start := func(first, last string) domain.StartConversation {
		return domain.StartConversation{ConversationID: convID, CustomerID: customerID, Channel: "web",
			Personal: domain.PersonalData{RefID: "r", FirstName: first, LastName: last}}
	}
	tests := map[string]struct {
		given     []domain.Event
		when      domain.Command
		wantField string      // "" when the command is accepted
		wantCode  domain.Code // invalid_message when empty
	}{
		"NUL in a text":                {given: live, when: domain.PostMessage{Message: chat(customer, "a\x00b")}, wantField: "text"},
		"escape in a text":             {given: live, when: domain.PostMessage{Message: chat(customer, "\x1b[31mred")}, wantField: "text"},
		"DEL in a text":                {given: live, when: domain.PostMessage{Message: chat(customer, "a\x7f")}, wantField: "text"},
		"C1 control in a text":         {given: live, when: domain.PostMessage{Message: chat(customer, "a\u0085b")}, wantField: "text"},
		"tab, CR and LF in a text":     {given: live, when: domain.PostMessage{Message: keeps}},
		"NUL in a recipient's name":    {given: live, when: domain.PostMessage{Message: toNamed}, wantField: "to.name"},
		"escape in an attachment name": {given: live, when: domain.PostMessage{Message: attach}, wantField: "attachments.name"},
		"NUL in a joiner's name":       {given: live[:1], when: domain.JoinConversation{Participant: domain.Participant{ID: "agent-2", Name: "A\x00"}}, wantField: "name"},
		"NUL in a joiner's id":         {given: live[:1], when: domain.JoinConversation{Participant: domain.Participant{ID: "agent\x00"}}, wantField: "id", wantCode: domain.CodeInvalid},
		"NUL in a first name":          {when: start("Ada\x00", "Lovelace"), wantField: "firstName"},
		"bell in a last name":          {when: start("Ada", "Love\alace"), wantField: "lastName"},
		"plain names":                  {when: start("Ada", "Lovelace")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := domain.Decide(given(t, tt.given...), tt.when, env())
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var de *domain.Error
			want := cmp.Or(tt.wantCode, domain.CodeInvalidMessage)
			if !errors.As(err, &de) || de.Code != want || de.Field != tt.wantField {
				t.Fatalf("err = %v, want %s on field %s", err, want, tt.wantField)
			}
		})
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 100000)
	got := domain.Clip(long)
	if n := utf8.RuneCountInString(got); n != domain.MaxEcho+1 || !strings.HasSuffix(got, "…") {
		t.Fatalf("Clip of 100000 characters has %d characters: %q", n, got)
	}
	if s := strings.Repeat("a", domain.MaxEcho); domain.Clip(s) != s {
		t.Fatal("Clip cut a string of MaxEcho characters")
	}
	err := domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", strings.Repeat("x", 100000))
	if len(err.Message) > 200 {
		t.Fatalf("Errorf echoed %d bytes", len(err.Message))
	}
}

func TestCheckID(t *testing.T) {
	tests := map[string]bool{
		"9b2c1f0e-6a57-4c1e-9d1a-1f2e3d4c5b6a":  true,
		"sms":                                   true,
		"nope":                                  true,
		"ada@example.com":                       true,
		strings.Repeat("a", domain.MaxIDLength): true,
		strings.Repeat("a", domain.MaxIDLength+1): false,
		"":        false,
		"a b":     false,
		"a\x00b":  false,
		"ünïcode": false,
		"a%2Fb":   false,
	}
	for id, ok := range tests {
		err := domain.CheckID("id", id)
		if (err == nil) != ok {
			t.Errorf("CheckID(%q) = %v, want ok=%v", domain.Clip(id), err, ok)
		}
		if err != nil && (domain.ErrorCode(err) != domain.CodeInvalid || len(domain.ErrorMessage(err)) > 200) {
			t.Errorf("CheckID(%q) = %v, want a short invalid_request", domain.Clip(id), err)
		}
	}
}
