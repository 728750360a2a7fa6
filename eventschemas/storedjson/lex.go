package storedjson

// The lexing that a walk over JSON in any form (white space, escapes) needs,
// as the compiled schema checks do; Scanner is for the plain form only.

// StringEnd returns the index after the string literal starting at
// data[i], and whether it holds escapes. It refuses what JSON refuses:
// control characters and unknown or short escapes.
func StringEnd(data []byte, i int) (end int, escaped, ok bool) {
	for i++; i < len(data); i++ {
		i += PlainPrefix(data[i:])
		if i >= len(data) {
			break
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c < 0x20:
			return i, escaped, false
		case c == '\\':
			escaped = true
			i++
			if i >= len(data) {
				return i, escaped, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(data)-i < 5 || !IsHex(data[i+1:i+5]) {
					return i, escaped, false
				}
				i += 4
			default:
				return i, escaped, false
			}
		}
	}
	return i, escaped, false
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func SkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// IsHex reports whether b holds only hexadecimal digits.
func IsHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
