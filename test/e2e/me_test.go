package e2e

import (
	"net/http"
	"testing"
)

// TestMe: GET /api/me names the role and name of the credential, never its
// secret, so that a page meant for supervisors can turn other keys away.
func TestMe(t *testing.T) {
	s := startServer(t, t.TempDir())
	chat := startChat(t, s, map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	type me struct {
		Role, Name string
		AuthOff    bool
	}
	for name, tc := range map[string]struct {
		credential string
		status     int
		want       me
	}{
		"a supervisor key": {supervisorKey, 200, me{Role: "supervisor", Name: "sup-1"}},
		"an agent key":     {agentKey, 200, me{Role: "agent", Name: "agent-1"}},
		"a connector key":  {smsConnectorKey, 200, me{Role: "connector", Name: "sms"}},
		"a customer token": {chat.Token, 200, me{Role: "customer", Name: chat.Participant.ID}},
		"no credential":    {"", http.StatusUnauthorized, me{}},
	} {
		t.Run(name, func(t *testing.T) {
			var got me
			if code := s.doAs(t, tc.credential, "GET", "/api/me", nil, &got); code != tc.status || got != tc.want {
				t.Fatalf("%d %+v, want %d %+v", code, got, tc.status, tc.want)
			}
		})
	}
}
