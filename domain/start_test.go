package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// TestStartAsTheDocumentReads: refId from the phone on connector channels,
// an ISO 8601 (RFC 3339) timestamp, and the developer's own fields.
func TestStartAsTheDocumentReads(t *testing.T) {
	fields := func(n, size int) []domain.Field {
		out := make([]domain.Field, n)
		for i := range out {
			out[i] = domain.Field{Name: fmt.Sprintf("f%02d", i), Value: strings.Repeat("v", size)}
		}
		return out
	}
	start := func(change func(*domain.StartConversation)) domain.StartConversation {
		cmd := domain.StartConversation{ConversationID: convID, CustomerID: customerID, Channel: "sms",
			Personal: domain.PersonalData{Phone: "+15550100"}}
		change(&cmd)
		return cmd
	}
	for _, tc := range []struct {
		name      string
		when      domain.StartConversation
		wantRefID string
		wantField string // of the error; "" for none
	}{
		{"a connector channel takes the phone as refId", start(func(*domain.StartConversation) {}), "+15550100", ""},
		{"a refId given is kept", start(func(c *domain.StartConversation) { c.Personal.RefID = "acct-7" }), "acct-7", ""},
		{"the web channel has no refId", start(func(c *domain.StartConversation) { c.Channel = "web" }), "", ""},
		{"an RFC 3339 timestamp", start(func(c *domain.StartConversation) { c.ClientTimestamp = "2026-11-23T10:00:00.5+01:00" }), "+15550100", ""},
		{"a timestamp without a zone", start(func(c *domain.StartConversation) { c.ClientTimestamp = "2026-11-23T10:00:00" }), "", "timestamp"},
		{"twenty fields of 1,000 bytes", start(func(c *domain.StartConversation) { c.Fields = fields(20, 1000) }), "+15550100", ""},
		{"twenty-one fields", start(func(c *domain.StartConversation) { c.Fields = fields(21, 1) }), "", "f20"},
		{"a field of 1,001 bytes", start(func(c *domain.StartConversation) { c.Fields = fields(1, 1001) }), "", "f00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, err := domain.Decide(domain.NewConversation(convID), tc.when, env())
			if tc.wantField != "" {
				var derr *domain.Error
				if err == nil || !errors.As(err, &derr) || derr.Code != domain.CodeInvalid || derr.Field != tc.wantField {
					t.Fatalf("err = %v, want invalid_request on %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := events[0].(domain.ConversationStarted)
			if got.Customer.Personal.RefID != tc.wantRefID || len(got.Fields) != len(tc.when.Fields) {
				t.Fatalf("refId %q, %d fields; want %q, %d", got.Customer.Personal.RefID, len(got.Fields), tc.wantRefID, len(tc.when.Fields))
			}
		})
	}
}

// TestGreetingLanguage: the customer is greeted in the conversation's
// language, staff in English.
func TestGreetingLanguage(t *testing.T) {
	e := env()
	e.Greeting = func(lang, name string) string { return lang + ":" + name }
	s := started().(domain.ConversationStarted)
	s.Language = "de"
	c := given(t, s)
	for _, tc := range []struct {
		who  domain.Participant
		want string
	}{{customer, "de:Ada Lovelace"}, {agent, ":Grace"}} {
		events, err := domain.Decide(c, domain.JoinConversation{Participant: tc.who}, e)
		if err != nil {
			t.Fatal(err)
		}
		if got := events[1].(domain.Message).Text; got != tc.want {
			t.Errorf("%s greeted %q, want %q", tc.who.ID, got, tc.want)
		}
	}
}
