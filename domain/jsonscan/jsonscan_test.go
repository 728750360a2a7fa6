package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	for _, text := range []string{
		`{}`, `[]`, `""`, `"plain"`, `0`, `-0.5e+3`, `1E9`, `true`, `false`, `null`,
		`{"a":[1,{"b":null}],"c":"d"}`, strings.Repeat(`[`, maxDepth) + strings.Repeat(`]`, maxDepth),
	} {
		p := New([]byte(text))
		if got := p.Value(); string(got) != text || !p.Done() {
			t.Errorf("Value(%s) = %s, done %v", text, got, p.Done())
		}
		if !json.Valid([]byte(text)) {
			t.Errorf("%s is not JSON", text)
		}
	}
}

// TestLeavesPlainForm lists what a Scanner gives up on, valid JSON or not:
// its callers hand all of it to encoding/json.
func TestLeavesPlainForm(t *testing.T) {
	for _, text := range []string{
		``, ` 1`, `{ }`, `[1, 2]`, `{"a" :1}`, `"\n"`, `"\u0041"`, "\"\x01\"", `01`, `1.`, `.5`, `-`, `1e`,
		`tru`, `nul`, `{"a":1,}`, `[1,]`, `{"a"}`, `{1:2}`, `"open`, `[`, `{`,
		strings.Repeat(`[`, maxDepth+2) + strings.Repeat(`]`, maxDepth+2),
	} {
		p := New([]byte(text))
		p.Value()
		if p.Done() {
			t.Errorf("Value(%q) reads it as plain", text)
		}
	}
}

func TestObjectAndStringMembers(t *testing.T) {
	var id, name string
	p := New([]byte(`{"id":"a","name":"b"}`))
	p.StringMembers([]string{"id", "name"}, &id, &name)
	if !p.Done() || id != "a" || name != "b" {
		t.Errorf("StringMembers: id %q name %q done %v", id, name, p.Done())
	}
	for _, text := range []string{`{"id":"a","id":"b"}`, `{"other":"x"}`, `{"id":1}`} {
		p := New([]byte(text))
		p.StringMembers([]string{"id"}, &id)
		if p.Done() {
			t.Errorf("StringMembers accepts %s", text)
		}
	}
}
