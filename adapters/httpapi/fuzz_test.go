package httpapi

import (
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-chat/parley/domain"
)

// FuzzDecodeInit feeds arbitrary bodies to the POST /api/customer/init
// decoder. Nothing may panic; a refusal is an invalid_request; an accepted
// body yields only canonical field names, each a valid UTF-8 string of at
// most 1000 bytes without surrounding space, and the same body always
// yields the same fields.
func FuzzDecodeInit(f *testing.F) {
	for _, seed := range []string{
		`{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","channel":"web","language":"en","requestId":"req-1"}`,
		`{"FirstName":"Ada","EMAIL":"ada@example.com","phone":"+15550100","channel":"sms","reqestId":"req-1","timestamp":"2026-11-23T10:00:00Z"}`,
		`{"channel":"web","refId":"r","url":"https://shop.example/cart?x=1","comment":"c","subject":"s","custom":{"any":"thing"}}`,
		`{"channel":"web","phone":15550100,"refId":-1.5e3}`,
		`{"channel":null,"email":null}`,
		`{"channel":["web"]}`,
		`{"channel":{"name":"web"}}`,
		`{"channel":true}`,
		`{"channel":"  web  "}`,
		`{"requestId":"a","reqestId":"b"}`,
		`{"email":"a@x.io","EMAIL":"b@y.io","Email":"c@z.io"}`,
		`{"email":"same@x.io","EMAIL":"same@x.io"}`,
		`{"email":"a","email":"b"}`,
		`{"comment":"` + strings.Repeat("x", 1001) + `"}`,
		`{"comment":"` + strings.Repeat("é", 500) + `"}`,
		`{"firstName":"\ud800\u0000"}`,
		"{\"firstName\":\"\xff\xfe\"}",
		`{"channel":"web"} {"channel":"sms"}`,
		`{"channel":"web"`,
		`[]`,
		`"web"`,
		`null`,
		`0`,
		``,
		strings.Repeat("[", 20000),
	} {
		f.Add([]byte(seed))
	}
	canonical := map[string]bool{}
	for _, name := range initFields {
		canonical[name] = true
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decode := func() (map[string]string, error) { f, _, err := decodeInit(body); return f, err }
		fields, err := decode()
		if err != nil {
			if code := domain.ErrorCode(err); code != domain.CodeInvalid {
				t.Fatalf("refused with code %s, want %s: %v", code, domain.CodeInvalid, err)
			}
			return
		}
		for name, v := range fields {
			if !canonical[name] {
				t.Fatalf("field %q is not a canonical name", name)
			}
			if len(v) > 1000 || !utf8.ValidString(v) || strings.TrimSpace(v) != v {
				t.Fatalf("field %s = %q: want valid, trimmed UTF-8 of at most 1000 bytes", name, v)
			}
		}
		again, err := decode()
		if err != nil || !maps.Equal(fields, again) {
			t.Fatalf("the same body decoded twice gave %v, then %v (%v)", fields, again, err)
		}
	})
}
