package jsonenc_test

import (
	"encoding/json"
	"testing"

	"github.com/parley-chat/parley/domain/jsonenc"
)

var strings = []string{
	"", "hello", "Ünïcödé שלום مرحبا 你好 🎉", `quote " and \ backslash`, "<b>&amp;</b>",
	"tab\tnew\nline\rcr\bback\fform\x00nul\x1fus\x7fdel", "bad \xff\xfe utf-8", "cut \xe2\x82",
	"line\u2028para\u2029sep", "\u2027\u202a", string(rune(0x10FFFF)), "\xed\xa0\x80 surrogate",
}

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range strings {
		checkString(t, s)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range strings {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

func checkString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	prefix := []byte("x")
	got := jsonenc.String(prefix, s)
	if string(got) != "x"+string(want) {
		t.Fatalf("String(%q) = %s, want %s", s, got[1:], want)
	}
}
