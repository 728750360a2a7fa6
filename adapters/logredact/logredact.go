// Package logredact keeps personal data out of logs: it wraps a slog.Handler
// and masks email addresses and phone numbers in every message and string
// attribute before they are written.
package logredact

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Handler masks personal data in the records it passes on. It is safe for
// concurrent use when the handler it wraps is.
type Handler struct {
	inner slog.Handler
}

// New returns a Handler that masks what it hands to inner.
func New(inner slog.Handler) *Handler { return &Handler{inner: inner} }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle implements slog.Handler: it passes on a copy of r with the message
// and every attribute masked.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(Attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = Attr(a)
	}
	return &Handler{inner: h.inner.WithAttrs(masked)}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name)}
}

// Attr returns a with personal data masked in its value: strings, groups
// (recursively), errors and other values whose text holds any. Numbers,
// durations, times and booleans are returned as they are: they cannot hold
// an email, and masking them would mangle sequence numbers and positions.
func Attr(a slog.Attr) slog.Attr {
	a.Value = value(a.Value.Resolve())
	return a
}

func value(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); needsScan(s) {
			return slog.StringValue(String(s))
		}
	case slog.KindGroup:
		attrs := v.Group()
		masked := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			masked[i] = Attr(a)
		}
		return slog.GroupValue(masked...)
	case slog.KindAny:
		return anyValue(v)
	}
	return v
}

// anyValue masks a value the handler would render as text. Errors and
// Stringers become their masked text, as both built-in handlers render them
// as text anyway; other values keep their type unless their text, as either
// built-in handler would render it, holds personal data, and then become that
// masked text. Opaque values are masked by their whole text, so a long number
// inside one may be masked too: a leak is worse than a hidden digit.
func anyValue(v slog.Value) slog.Value {
	switch x := v.Any().(type) {
	case error:
		return slog.StringValue(String(x.Error()))
	case fmt.Stringer:
		return slog.StringValue(String(x.String()))
	case []byte:
		return slog.StringValue(String(string(x)))
	default:
		if s := fmt.Sprintf("%+v", x); needsScan(s) {
			if m := String(s); m != s {
				return slog.StringValue(m)
			}
		}
		if raw, err := json.Marshal(x); err == nil && needsScan(string(raw)) {
			if m := String(string(raw)); m != string(raw) {
				return slog.StringValue(m)
			}
		}
	}
	return v
}

// minPhoneDigits is the fewest digits taken for a phone number.
const minPhoneDigits = 7

var (
	// emailRE takes a whole chain such as "a@b.io@c.io" as one address,
	// so that a masked address never lends its labels to a new match;
	// mask keeps the top-level domain when the chain ends in one.
	emailRE = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:[.@][\p{L}\p{N}\-]+)*`)
	// phoneRE finds candidates; String then checks their digits and edges.
	phoneRE = regexp.MustCompile(`\+?\(?\d(?:[\d().\- ]*\d)?`)
	// keepRE finds what looks like a phone number but is not personal data:
	// UUIDs, dates and RFC 3339 times, IPv4 addresses with their port,
	// numbers labelled as stream positions, and file paths: a path with a
	// directory and a file name with an extension ("/data/ab/x.json",
	// "/data/.checkpoint.json.tmp-1234567851"), or a dot file whose every
	// part starts with a letter (".checkpoint.json.tmp-1234567851"). A URL
	// path without an extension ("/api/conversations/5550100199") is not
	// kept.
	keepRE = regexp.MustCompile(`(?i)` +
		`(?:[\w.~+-]*/)+[\w~+-]*\.[a-z][\w~+-]*(?:\.[\w~+-]+)*` +
		`|\.[a-z][\w~+-]*(?:\.[a-z][\w~+-]*)+` +
		`|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}` +
		`|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?` +
		`|\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?` +
		`|\b(?:sequence|seq|revision|rev|position|pos|version|offset|since|cursor)["']?(?:\s*[:=]\s*|\s+)["']?\d+`)
)

// String returns s with email addresses and phone numbers masked.
//
// An email keeps its first character and its domain's top-level domain:
// "ada@example.com" becomes "a***@***.com", and "ada@localhost" becomes
// "a***@***". A phone number, a run of at least 7 digits with an optional
// leading + and spaces, dashes, dots or parentheses between them, keeps its
// last 2 digits: "+1 (555) 010-0123" becomes "***23". Digits that are part
// of a word (hex ids, "12ms"), UUIDs, dates and times, IPv4 addresses with
// ports, decimal numbers and numbers labelled as positions ("sequence
// 1234567") are left alone.
func String(s string) string {
	// Masking can reveal more to mask: a masked time no longer hides the
	// date before it from the phone pattern. Repeat until nothing changes;
	// each pass only removes digits, so a few passes always suffice.
	for range maxPasses {
		if !needsScan(s) {
			return s
		}
		m := mask(s)
		if m == s {
			return s
		}
		s = m
	}
	return s
}

// maxPasses bounds String's passes, for inputs crafted to need many.
const maxPasses = 4

// mask is one pass of String, without the fast path. Emails go first, so that the
// character an email keeps is seen by the phone pass as it will be written:
// a masking that a second pass would change is a masking that leaks.
func mask(s string) string {
	if strings.Contains(s, "@") {
		s = emailRE.ReplaceAllStringFunc(s, func(addr string) string {
			first, _ := utf8.DecodeRuneInString(addr)
			return string(first) + "***@***" + topLevelDomain(addr)
		})
	}
	// Scan a copy in which the spans to keep are blanked out, so that the
	// phone pattern cannot match across or inside them; offsets stay those
	// of s.
	scan := []byte(s)
	for _, span := range keepRE.FindAllStringIndex(s, -1) {
		if gluedToDigit(s, span[0], span[1]) {
			continue
		}
		for i := span[0]; i < span[1]; i++ {
			scan[i] = 0
		}
	}
	var b strings.Builder
	last := 0
	for _, m := range phoneRE.FindAllIndex(scan, -1) {
		if with, ok := maskPhone(s, m[0], m[1]); ok {
			if last == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:m[0]])
			b.WriteString(with)
			last = m[1]
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// topLevelDomain returns ".tld" when the address ends in a top-level
// domain (letters only, at least two, after a dot), and "" otherwise.
func topLevelDomain(addr string) string {
	i := strings.LastIndexAny(addr, ".@")
	if i < 0 || addr[i] != '.' || utf8.RuneCountInString(addr[i+1:]) < 2 {
		return ""
	}
	for _, r := range addr[i+1:] {
		if !unicode.IsLetter(r) {
			return ""
		}
	}
	return addr[i:]
}

// maskPhone returns the mask of the phone candidate s[start:end], or false
// when it is not taken as a phone number.
func maskPhone(s string, start, end int) (string, bool) {
	if start > 0 && isWordByte(s[start-1]) || end < len(s) && isWordByte(s[end]) {
		return "", false // part of a word: a hex id, "12ms", "v1.2.3"
	}
	digits, dots, others := 0, 0, 0
	var last2 [2]byte
	for i := start; i < end; i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			last2[0], last2[1] = last2[1], c
		case c == '.':
			dots++
		default:
			others++
		}
	}
	if digits < minPhoneDigits {
		return "", false
	}
	if dots == 1 && others == 0 && s[start] != '+' {
		return "", false // a decimal number
	}
	return "***" + string(last2[:]), true
}

// gluedToDigit reports whether s[start:end] continues a longer run of
// digits, in which case it is not the date, address or id it looks like.
func gluedToDigit(s string, start, end int) bool {
	return start > 0 && isDigit(s[start-1]) || end < len(s) && isDigit(s[end])
}

// needsScan is a cheap, conservative test that lets most strings skip the
// regular expressions: it is false only when s has no '@' and no run of
// phone characters with at least minPhoneDigits digits, except runs of
// digits alone glued to a word ("node1234567", "1234567ms"), which String
// leaves alone too. A run with separators is always scanned: a date or an
// address inside it may be kept, leaving a phone number beside it.
func needsScan(s string) bool {
	start, digits := -1, 0
	for i := 0; i <= len(s); i++ {
		var c byte
		if i < len(s) {
			c = s[i]
			if c == '@' {
				return true
			}
			if isPhoneByte(c) && c != '+' || c == '+' && start < 0 {
				if start < 0 {
					start, digits = i, 0
				}
				if isDigit(c) {
					digits++
				}
				continue
			}
		}
		// The run s[start:i] ends here.
		if start >= 0 && digits >= minPhoneDigits {
			glued := start > 0 && isWordByte(s[start-1]) || i < len(s) && isWordByte(s[i])
			if !glued || digits != i-start {
				return true
			}
		}
		start = -1
		if c == '+' {
			start, digits = i, 0
		}
	}
	return false
}

func isPhoneByte(c byte) bool {
	return isDigit(c) || c == '+' || c == '(' || c == ')' || c == '.' || c == '-' || c == ' '
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= utf8.RuneSelf
}
