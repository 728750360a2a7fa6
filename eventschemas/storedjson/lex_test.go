package storedjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStringEnd: given string literals valid and not, when lexed, then
// StringEnd accepts exactly what encoding/json accepts and says whether the
// literal holds escapes.
func TestStringEnd(t *testing.T) {
	for _, lit := range []string{
		`""`, `"plain"`, `"a\"b"`, `"\u00e9"`, `"\/\b\f\n\r\t\\"`, `"é 😀"`,
		`"open`, `"\x"`, `"\u00g0"`, `"\u00"`, "\"\x01\"", `"\`,
	} {
		end, escaped, ok := StringEnd([]byte(lit), 0)
		want := json.Valid([]byte(lit))
		if ok != want || ok && (end != len(lit) || escaped != (len(lit) > 2 && strings.Contains(lit, `\`))) {
			t.Errorf("StringEnd(%s) = %d, %v, %v; encoding/json says valid = %v", lit, end, escaped, ok, want)
		}
	}
	if got := SkipSpace([]byte(" \t\r\n x"), 0); got != 5 {
		t.Errorf("SkipSpace = %d, want 5", got)
	}
}
