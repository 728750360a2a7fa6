package ws

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"
)

func TestProtocolCredential(t *testing.T) {
	key := "grace:agent:s3cret/+key=="
	for name, tc := range map[string]struct {
		header string
		want   string
	}{
		"no protocols":         {"", ""},
		"only parley":          {"parley", ""},
		"a key after parley":   {"parley, parley.key." + base64.RawURLEncoding.EncodeToString([]byte(key)), key},
		"a key that is no b64": {"parley, parley.key.***", ""},
		"another protocol":     {"chat, superchat", ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ws", nil)
			if tc.header != "" {
				r.Header.Set("Sec-WebSocket-Protocol", tc.header)
			}
			if got := protocolCredential(r); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
