package storedjson

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
		p := NewScanner([]byte(text))
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
		p := NewScanner([]byte(text))
		p.Value()
		if p.Done() {
			t.Errorf("Value(%q) reads it as plain", text)
		}
	}
}

func TestObjectAndStringMembers(t *testing.T) {
	var id, name string
	p := NewScanner([]byte(`{"id":"a","name":"b"}`))
	p.StringMembers([]string{"id", "name"}, &id, &name)
	if !p.Done() || id != "a" || name != "b" {
		t.Errorf("StringMembers: id %q name %q done %v", id, name, p.Done())
	}
	for _, text := range []string{`{"id":"a","id":"b"}`, `{"other":"x"}`, `{"id":1}`} {
		p := NewScanner([]byte(text))
		p.StringMembers([]string{"id"}, &id)
		if p.Done() {
			t.Errorf("StringMembers accepts %s", text)
		}
	}
}

func TestPlainPrefix(t *testing.T) {
	want := func(b []byte) int {
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 {
				return i
			}
		}
		return len(b)
	}
	// Every special byte, and bytes just beside them, at every position of
	// the first word, the second word and the tail.
	for _, c := range []byte{'"', '\\', 0x00, 0x1f, 0x20, 0x21, '#', '[', ']', 0x7f, 0x80, 0xa2, 0xdc, 0xff} {
		for n := range 20 {
			for at := range n {
				b := []byte(strings.Repeat("a", n))
				b[at] = c
				if got := PlainPrefix(b); got != want(b) {
					t.Errorf("PlainPrefix(%q) = %d, want %d", b, got, want(b))
				}
			}
		}
	}
}

func FuzzPlainPrefix(f *testing.F) {
	f.Add([]byte("plain text, then a \"quote"))
	f.Add([]byte("\xe2\x80\xa8\x00\\"))
	f.Fuzz(func(t *testing.T, b []byte) {
		i := PlainPrefix(b)
		for _, c := range b[:i] {
			if c == '"' || c == '\\' || c < 0x20 {
				t.Fatalf("PlainPrefix(%q) = %d passes over %q", b, i, c)
			}
		}
		if i < len(b) && !(b[i] == '"' || b[i] == '\\' || b[i] < 0x20) {
			t.Fatalf("PlainPrefix(%q) = %d stops at %q", b, i, b[i])
		}
	})
}
