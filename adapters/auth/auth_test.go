package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/auth"
	"github.com/parley-chat/parley/domain"
)

const secret = "0123456789abcdef0123456789abcdef"

func newAuth(t *testing.T, now func() time.Time) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(auth.Config{Secret: secret, TokenTTL: time.Hour, APIKeys: "grace:agent:agent-secret-0123456789, sms:connector:sms-secret-0123456789", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCustomerToken(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	a := newAuth(t, func() time.Time { return now })
	tok, err := a.IssueCustomerToken("conv-1", "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Authenticate(tok)
	if err != nil || p.Role != domain.RoleCustomer || p.ConversationID != "conv-1" || p.ParticipantID != "cust-1" {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}

	later := newAuth(t, func() time.Time { return now.Add(2 * time.Hour) })
	if _, err := later.Authenticate(tok); domain.ErrorCode(err) != domain.CodeUnauthenticated || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
	other, _ := auth.New(auth.Config{Secret: strings.Repeat("x", 32), Now: func() time.Time { return now }})
	forged, _ := other.IssueCustomerToken("conv-1", "cust-1")
	if _, err := a.Authenticate(forged); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Fatalf("token signed with another secret: %v", err)
	}
	parts := strings.Split(tok, ".")
	unsigned := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	if _, err := a.Authenticate(unsigned); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Fatalf("alg none token: %v", err)
	}
	for _, bad := range []string{"", "garbage", tok + "x"} {
		if _, err := a.Authenticate(bad); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	a := newAuth(t, time.Now)
	p, err := a.Authenticate("sms-secret-0123456789")
	if err != nil || p.Name != "sms" || p.Role != domain.RoleConnector {
		t.Fatalf("connector key = %+v, %v", p, err)
	}
	if _, err := a.Authenticate("sms-secret-012345678"); err == nil {
		t.Fatal("a prefix of a key was accepted")
	}
	for _, spec := range []string{"grace:agent", "grace:king:agent-secret-0123456789", "grace:agent:short", ":agent:agent-secret-0123456789",
		"grace hopper:agent:agent-secret-0123456789", strings.Repeat("g", domain.MaxIDLength+1) + ":agent:agent-secret-0123456789"} {
		if _, err := auth.ParseKeys(spec); err == nil {
			t.Errorf("ParseKeys(%q) accepted a bad entry", spec)
		}
	}
	keys, err := auth.ParseKeys("# staff\nbot1:bot:bot-secret-0123456789\n\n")
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys with comments: %v, %d keys", err, len(keys))
	}
	if _, err := auth.New(auth.Config{Secret: "short"}); err == nil {
		t.Fatal("a short secret was accepted")
	}
}
