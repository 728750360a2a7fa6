package logredact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzString checks that the fast path never skips a string a scan would
// change (a skipped string is a leak), that masking is stable (what a second
// pass would mask, the first one leaked), and that it never panics, breaks
// UTF-8 or makes up addresses.
func FuzzString(f *testing.F) {
	for _, s := range []string{
		"", "ada@example.com", "+1 (555) 010-0123", "5550100", "a(-5550100123 ", "x+5550100123",
		"2026-11-23T10:00:00.123Z", "2026-11-23 0171 555 5555", "192.168.100.200:8080",
		"00000000-0000-4000-8000-000000000001", "sequence=12345678", "1.234567ms", "3.1415926",
		"élodie@exemple.fr 5550100", "555+0100123", "((((1234567", "1-2-3-4-5-6-7", "@@@",
		"\xff5550100123\xff", "0.0.0.0.0.0.0.0", "tel:+44 20 7946 0958;ext=12",
		"0@0.AA@0.AA", "0@0.AA@0", "00 00 00 0@0",
		"A0000-00-00 0000000", "1234567 2026-11-23T10:00:00Z", "0000000 0000-00-00T00:0000000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !needsScan(s) {
			if m := mask(s); m != s {
				t.Fatalf("fast path skips %q, which masks to %q", s, m)
			}
		}
		got := String(s)
		if again := String(got); again != got {
			t.Fatalf("masking is not stable: %q -> %q -> %q", s, got, again)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("String(%q) = %q is not valid UTF-8", s, got)
		}
		if strings.Count(got, "***@***") > strings.Count(s, "@") {
			t.Fatalf("String(%q) = %q made up emails", s, got)
		}
	})
}
