package storedjson

import (
	"bytes"
	"encoding/binary"
)

// Scanner reads JSON of the plain form Parley itself writes (no white
// space, strings without escapes) without reflection. It stops at the first
// thing outside that form and reports it; its callers then decode with
// encoding/json, so what they decode is always what encoding/json would
// give, and their tests hold them to that.
//
// A Scanner walks one JSON text of the plain form. Once it has left the plain
// form (Done reports false), what its methods returned since is void.
type Scanner struct {
	b   []byte
	i   int
	bad bool
}

// NewScanner returns a Scanner at the start of b.
func NewScanner(b []byte) Scanner { return Scanner{b: b} }

// Done reports whether the whole text was read in the plain form.
func (p *Scanner) Done() bool { return !p.bad && p.i == len(p.b) }

// fail marks the text as outside the plain form.
func (p *Scanner) fail() { p.bad, p.i = true, len(p.b) }

// peek returns the next byte without reading it.
func (p *Scanner) peek() byte {
	if p.i >= len(p.b) {
		p.fail()
		return 0
	}
	return p.b[p.i]
}

func (p *Scanner) expect(c byte) {
	if p.peek() != c {
		p.fail()
		return
	}
	p.i++
}

// Str reads a string without escapes or control characters.
func (p *Scanner) Str() string { return string(p.RawStr()) }

// RawStr is Str without the copy: the contents, sharing the text's bytes.
func (p *Scanner) RawStr() []byte {
	p.expect('"')
	start := p.i
	p.i += PlainPrefix(p.b[p.i:])
	if p.i < len(p.b) && p.b[p.i] == '"' {
		p.i++
		return p.b[start : p.i-1]
	}
	p.fail()
	return nil
}

// Object reads an object, calling member with each key, positioned at its
// value; member reads the value, or returns false to give up on the text.
func (p *Scanner) Object(member func(key []byte) bool) bool {
	p.expect('{')
	if p.peek() == '}' {
		p.i++
		return true
	}
	for !p.bad {
		key := p.RawStr()
		p.expect(':')
		if p.bad || !member(key) {
			p.fail()
			return false
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			p.fail()
		}
	}
	return false
}

// Array reads an array, calling item to read each element.
func (p *Scanner) Array(item func()) {
	p.expect('[')
	if p.peek() == ']' {
		p.i++
		return
	}
	for !p.bad {
		item()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return
		default:
			p.fail()
		}
	}
}

// Members reads an object whose members may each appear once, as
// encoding/json would read them into a struct only if no key repeats:
// member reads the value of key and returns the member's number (0 to 63),
// or false for a key it does not know. A repeated member leaves the plain
// form, like an unknown one.
func (p *Scanner) Members(member func(key []byte) (int, bool)) bool {
	var seen uint64
	return p.Object(func(key []byte) bool {
		i, ok := member(key)
		if !ok || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		return true
	})
}

// StringMembers reads an object whose members are all strings, keys[i]
// into *dsts[i], each key at most once.
func (p *Scanner) StringMembers(keys []string, dsts ...*string) {
	p.Members(func(key []byte) (int, bool) {
		for i, k := range keys {
			if string(key) == k {
				*dsts[i] = p.Str()
				return i, true
			}
		}
		return 0, false
	})
}

// maxDepth bounds the nesting Value follows, as a guard against stack
// exhaustion; deeper text is left to encoding/json.
const maxDepth = 64

// Value reads any one value (object, array, string, number, true, false or
// null) and returns its text, sharing the text's bytes.
func (p *Scanner) Value() []byte {
	start := p.i
	p.skipValue(0)
	if p.bad {
		return nil
	}
	return p.b[start:p.i]
}

func (p *Scanner) skipValue(depth int) {
	if depth > maxDepth {
		p.fail()
		return
	}
	switch c := p.peek(); {
	case c == '{':
		p.Object(func([]byte) bool { p.skipValue(depth + 1); return true })
	case c == '[':
		p.Array(func() { p.skipValue(depth + 1) })
	case c == '"':
		p.RawStr()
	case c == '-' || '0' <= c && c <= '9':
		p.number()
	default:
		for _, word := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.b[p.i:], []byte(word)) {
				p.i += len(word)
				return
			}
		}
		p.fail()
	}
}

// number passes over a number in JSON's grammar.
func (p *Scanner) number() {
	digits := func() int {
		n := 0
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.peek() == '0' {
		p.i++
	} else if digits() == 0 {
		p.fail()
		return
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			p.fail()
			return
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.fail()
		}
	}
}

// PlainPrefix returns the length of the longest prefix of b that can stand
// inside a string as it is: no quote, backslash or control character. It
// looks at eight bytes at a time, since strings (message texts, ids) are
// most of the bytes that every append and every read checks.
func PlainPrefix(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if hasSpecial(binary.LittleEndian.Uint64(b[i:])) {
			break
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasSpecial reports whether any byte of w is a quote, a backslash or below
// 0x20, with the bit tricks for "has a zero byte" and "has a byte less than
// n" (exact as to whether any byte matches, which is all that is asked).
func hasSpecial(w uint64) bool {
	return (hasZero(w^(ones*'"')) | hasZero(w^(ones*'\\')) | (w-ones*0x20)&^w&highs) != 0
}

// hasZero is not zero when a byte of v is zero (exact as to whether any
// byte is, which is all that is asked).
func hasZero(v uint64) uint64 { return (v - ones) &^ v & highs }
