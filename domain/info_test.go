package domain

import (
	"encoding/json"
	"testing"
)

// isJSONObject checks bytes instead of decoding; it must agree with
// decoding into a map.
func TestIsJSONObject(t *testing.T) {
	for _, raw := range []string{
		`{}`, ` {"a":1} `, "\n{\"a\":{\"b\":[1,2]}}\t", `{"a":1e400}`,
		`null`, `[1]`, `"x"`, `1`, `{"a":`, `{} {}`, `{"a":1,}`, ``, ` `, `{'a':1}`, "{\"a\":\"\x01\"}",
	} {
		var obj map[string]json.RawMessage
		want := json.Unmarshal([]byte(raw), &obj) == nil && obj != nil
		if got := isJSONObject(json.RawMessage(raw)); got != want {
			t.Errorf("isJSONObject(%q) = %v, decoding says %v", raw, got, want)
		}
	}
}
