package domain_test

import (
	"errors"
	"testing"

	"github.com/parley-chat/parley/domain"
)

func TestPrincipalCanJoin(t *testing.T) {
	cust := domain.Principal{Name: customerID, Role: domain.RoleCustomer, ConversationID: convID, ParticipantID: customerID}
	agentKey := domain.Principal{Name: "grace", Role: domain.RoleAgent}
	tests := map[string]struct {
		p        domain.Principal
		conv     string
		who      domain.Participant
		wantCode domain.Code
		want     domain.Participant
	}{
		"customer joins own":             {p: cust, conv: convID, who: domain.Participant{ID: customerID}, want: domain.Participant{ID: customerID, Role: domain.RoleCustomer}},
		"customer id filled from token":  {p: cust, conv: convID, who: domain.Participant{Name: "Ada"}, want: domain.Participant{ID: customerID, Name: "Ada", Role: domain.RoleCustomer}},
		"customer joins another":         {p: cust, conv: "c2", who: domain.Participant{ID: customerID}, wantCode: domain.CodeForbidden},
		"customer as someone else":       {p: cust, conv: convID, who: domain.Participant{ID: "agent-1"}, wantCode: domain.CodeForbidden},
		"customer as agent":              {p: cust, conv: convID, who: domain.Participant{ID: customerID, Role: domain.RoleAgent}, wantCode: domain.CodeForbidden},
		"agent key joins any":            {p: agentKey, conv: "c9", who: domain.Participant{ID: "agent-7"}, want: domain.Participant{ID: "agent-7", Role: domain.RoleAgent}},
		"agent key id defaults to name":  {p: agentKey, conv: "c9", want: domain.Participant{ID: "grace", Role: domain.RoleAgent}},
		"agent key as supervisor":        {p: agentKey, conv: "c9", who: domain.Participant{ID: "x", Role: domain.RoleSupervisor}, wantCode: domain.CodeForbidden},
		"connector key joins":            {p: domain.Principal{Name: "sms", Role: domain.RoleConnector}, conv: convID, who: domain.Participant{ID: "x"}, wantCode: domain.CodeForbidden},
		"anonymous joins":                {conv: convID, who: domain.Participant{ID: customerID}, wantCode: domain.CodeUnauthenticated},
		"auth off passes the role asked": {p: domain.Principal{Unchecked: true}, conv: convID, who: domain.Participant{ID: "x", Role: domain.RoleBot}, want: domain.Participant{ID: "x", Role: domain.RoleBot}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tt.p.CanJoin(tt.conv, tt.who)
			if domain.ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v, want code %q", err, tt.wantCode)
			}
			if tt.wantCode == "" && got != tt.want {
				t.Fatalf("joins as %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPrincipalPermissions(t *testing.T) {
	cust := domain.Principal{Role: domain.RoleCustomer, ConversationID: convID, ParticipantID: customerID}
	sms := domain.Principal{Name: "sms", Role: domain.RoleConnector}
	tests := []struct {
		name string
		err  error
		want domain.Code
	}{
		{"customer reads own", cust.CanRead(convID), ""},
		{"customer reads other", cust.CanRead("c2"), domain.CodeForbidden},
		{"anonymous reads", domain.Principal{}.CanRead(convID), domain.CodeUnauthenticated},
		{"agent reads any", domain.Principal{Role: domain.RoleAgent}.CanRead("c2"), ""},
		{"customer audits", cust.CanAudit(), domain.CodeForbidden},
		{"supervisor audits", domain.Principal{Role: domain.RoleSupervisor}.CanAudit(), ""},
		{"connector serves own channel", sms.CanServeChannel("sms"), ""},
		{"connector serves other channel", sms.CanServeChannel("fb"), domain.CodeForbidden},
		{"agent registers connector", domain.Principal{Role: domain.RoleAgent}.CanServeChannel("sms"), domain.CodeForbidden},
		{"sender sends", domain.Principal{Role: domain.RoleSender}.CanSendToCustomers("sms"), ""},
		{"customer sends to customers", cust.CanSendToCustomers("sms"), domain.CodeForbidden},
	}
	for _, tt := range tests {
		if got := domain.ErrorCode(tt.err); got != tt.want {
			t.Errorf("%s: code %q (%v), want %q", tt.name, got, tt.err, tt.want)
		}
	}
}

func TestStartIsIdempotentPerRequest(t *testing.T) {
	start := domain.StartConversation{ConversationID: convID, CustomerID: customerID, Channel: "web", RequestID: "r1", Personal: domain.PersonalData{RefID: "ref"}}
	events, err := domain.Decide(domain.NewConversation(convID), start, env())
	if err != nil {
		t.Fatal(err)
	}
	c := given(t, events...)
	_, err = domain.Decide(c, start, env())
	var again *domain.AlreadyStartedError
	if !errors.As(err, &again) || again.Started.Customer.ParticipantID != customerID {
		t.Fatalf("same request again: %v, want AlreadyStartedError with the first start", err)
	}
	other := start
	other.Personal.RefID = "someone-else"
	if _, err := domain.Decide(c, other, env()); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("another customer's request on the same id: %v, want conflict", err)
	}
}

func TestParticipantLimit(t *testing.T) {
	c := given(t, started())
	e := env()
	e.Limits.MaxParticipants = 2
	if _, err := domain.Decide(c, domain.JoinConversation{Participant: agent}, e); err != nil {
		t.Fatal(err)
	}
	c = given(t, started(), joined(agent))
	if _, err := domain.Decide(c, domain.JoinConversation{Participant: bot}, e); domain.ErrorCode(err) != domain.CodeLimitExceeded {
		t.Fatalf("third participant: %v, want limit_exceeded", err)
	}
	if _, err := domain.Decide(c, domain.JoinConversation{Participant: customer}, e); err != nil {
		t.Fatalf("a known participant may always join again: %v", err)
	}
}

func TestNameUUID(t *testing.T) {
	a, b := domain.NameUUID("x"), domain.NameUUID("x")
	if a != b || !domain.IsUUID(a) || a[14] != '5' || domain.NameUUID("y") == a {
		t.Fatalf("NameUUID: %s %s", a, b)
	}
}

func TestDecodeEventRefusesOtherSchemaVersions(t *testing.T) {
	data, err := domain.EncodeEvent("e1", started(), domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	rec := domain.RecordedEvent{ID: data.ID, Type: data.Type, Data: data.Data, Metadata: data.Metadata}
	if _, err := domain.DecodeEvent(rec); err != nil {
		t.Fatalf("current version: %v", err)
	}
	rec.Metadata.SchemaVersion = 1 // the flat shape of ConversationStarted v1
	if _, err := domain.DecodeEvent(rec); err == nil {
		t.Fatal("a v1 ConversationStarted decoded as if it were v2")
	}
}
