package storedjson_test

import (
	"encoding/json"
	"testing"

	"github.com/parley-chat/parley/eventschemas/storedjson"
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
	got := storedjson.AppendString(prefix, s)
	if string(got) != "x"+string(want) {
		t.Fatalf("AppendString(%q) = %s, want %s", s, got[1:], want)
	}
}

// TestStringEveryByteEverywhere puts each byte value at each position of
// strings one and two words long, so that the eight-at-a-time test meets
// every byte in every lane.
func TestStringEveryByteEverywhere(t *testing.T) {
	for c := range 256 {
		for _, n := range []int{7, 8, 9, 16, 17} {
			for at := range n {
				b := make([]byte, n)
				for i := range b {
					b[i] = 'a'
				}
				b[at] = byte(c)
				checkString(t, string(b))
			}
		}
	}
}

func BenchmarkString(b *testing.B) {
	s := "Hello, I was charged twice for my subscription this month; could you look into invoice 2024-0311?"
	b.SetBytes(int64(len(s)))
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = storedjson.AppendString(buf[:0], s)
	}
}
