package domain

import (
	"strings"
	"unicode/utf8"
)

// MaxEcho is the most characters of any one input that an error message
// repeats: a 100,000-character id must not come back whole in an answer or
// a log line.
const MaxEcho = 100

// MaxIDLength is the longest id Parley accepts in a path (conversation,
// message and channel ids). Every id Parley makes is a 36-character UUID;
// channel names are short words.
const MaxIDLength = 100

// Clip returns s cut to its first MaxEcho characters, ending in "…" when
// cut, for repeating input in messages.
func Clip(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxEcho {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// clipArgs clips the string arguments of an error message (see Clip), so
// that no constructor of *Error echoes a long input whole.
func clipArgs(args []any) []any {
	copied := false
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > MaxEcho {
			if !copied { // the caller's slice stays as it was
				args, copied = append([]any(nil), args...), true
			}
			args[i] = Clip(s)
		}
	}
	return args
}

// ControlIndex returns the byte index of the first control character in s
// other than tab, carriage return and line feed (C0, DEL and C1 controls),
// or -1. It scans bytes: it runs over every message text.
func ControlIndex(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7f:
			return i
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f: // U+0080..U+009F
			return i
		}
	}
	return -1
}

// CheckText refuses a message text or a name holding a control character
// other than tab, carriage return and line feed: such characters show as
// nothing or garble every transcript and terminal they reach.
func CheckText(field, s string) error {
	i := ControlIndex(s)
	if i < 0 {
		return nil
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return FieldError(CodeInvalidMessage, field, "%s holds the control character U+%04X at byte %d; only tab, carriage return and line feed are allowed", field, r, i)
}

// CheckID refuses an id from a path that is empty, longer than MaxIDLength
// bytes, or holds anything but letters, digits and "-_.~@+", before it is
// looked up anywhere.
func CheckID(field, s string) error {
	if s == "" {
		return FieldError(CodeInvalid, field, "%s is empty", field)
	}
	if len(s) > MaxIDLength {
		return FieldError(CodeInvalid, field, "%s is %d bytes long, longer than the limit of %d", field, len(s), MaxIDLength)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~@+", c) >= 0 {
			continue
		}
		return FieldError(CodeInvalid, field, "%s may hold only letters, digits and -_.~@+ (byte %d is 0x%02X)", field, i, c)
	}
	return nil
}
