package domain

import (
	"bytes"
	"unicode/utf8"
)

// decodeStoredMessage decodes the data of a stored ChatMessage or
// ActivityMessage without reflection, for the form Parley writes: the known
// keys in their exact spelling, each once, and strings without escapes.
// Every message of every conversation is decoded when projections are
// rebuilt, and encoding/json's reflection was a quarter of the transcript
// projection's CPU. It reports false for anything else (an escape, an
// unknown or repeated key, a null, white space it does not expect), and the
// caller then uses encoding/json, so the result is always what encoding/json
// gives; TestDecodeStoredMessageMatchesEncodingJSON and
// FuzzDecodeStoredMessage hold it to that.
func decodeStoredMessage(data []byte) (Message, bool) {
	var m Message
	if !utf8.Valid(data) { // encoding/json would replace bad bytes
		return m, false
	}
	p := jsonScan{b: data}
	var seen uint16
	ok := p.object(func(key []byte) bool {
		var bit uint16
		switch string(key) {
		case "id":
			bit, m.ID = 1<<0, p.str()
		case "conversationId":
			bit, m.ConversationID = 1<<1, p.str()
		case "type":
			bit, m.Type = 1<<2, p.str()
		case "from":
			bit = 1 << 3
			m.From = p.participant()
		case "to":
			bit = 1 << 4
			m.To = []Participant{}
			p.array(func() { m.To = append(m.To, p.participant()) })
		case "text":
			bit, m.Text = 1<<5, p.str()
		case "tag":
			bit, m.Tag = 1<<6, p.str()
		case "refId":
			bit, m.RefID = 1<<7, p.str()
		case "attachments":
			bit = 1 << 8
			m.Attachments = []Attachment{}
			p.array(func() { m.Attachments = append(m.Attachments, p.attachment()) })
		case "activityType":
			bit, m.ActivityType = 1<<9, p.str()
		case "info":
			bit = 1 << 10
			start := p.i
			p.skipValue(0)
			m.Info = bytes.Clone(data[start:p.i])
		case "timestamp":
			bit, m.Timestamp = 1<<11, p.str()
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	return m, ok && !p.bad && p.i == len(data)
}

// jsonScan walks JSON of the plain form decodeStoredMessage accepts; bad
// is set at the first thing outside it, after which results are void.
type jsonScan struct {
	b   []byte
	i   int
	bad bool
}

func (p *jsonScan) fail() { p.bad, p.i = true, len(p.b) }

func (p *jsonScan) peek() byte {
	if p.i >= len(p.b) {
		p.fail()
		return 0
	}
	return p.b[p.i]
}

func (p *jsonScan) expect(c byte) {
	if p.peek() != c {
		p.fail()
		return
	}
	p.i++
}

// str reads a string without escapes or control characters.
func (p *jsonScan) str() string { return string(p.rawStr()) }

// rawStr is str without the copy: the contents, sharing p's bytes.
func (p *jsonScan) rawStr() []byte {
	p.expect('"')
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return p.b[start : p.i-1]
		case c == '\\' || c < 0x20:
			p.fail()
			return nil
		}
		p.i++
	}
	p.fail()
	return nil
}

// object reads an object without white space, calling member with each
// key positioned at the value; member reads the value or returns false.
func (p *jsonScan) object(member func(key []byte) bool) bool {
	p.expect('{')
	if p.peek() == '}' {
		p.i++
		return true
	}
	for !p.bad {
		key := p.rawStr()
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

// array reads an array without white space, calling item for each element.
func (p *jsonScan) array(item func()) {
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

func (p *jsonScan) participant() Participant {
	var v Participant
	p.stringMembers([]string{"id", "name", "role"}, &v.ID, &v.Name, (*string)(&v.Role))
	return v
}

func (p *jsonScan) attachment() Attachment {
	var v Attachment
	p.stringMembers([]string{"type", "name", "contentUrl", "thumbnailUrl"}, &v.Type, &v.Name, &v.ContentURL, &v.ThumbnailURL)
	return v
}

// stringMembers reads an object whose members are all strings, each
// keys[i] into dsts[i], each key at most once.
func (p *jsonScan) stringMembers(keys []string, dsts ...*string) {
	var seen uint8
	p.object(func(key []byte) bool {
		for i, k := range keys {
			if string(key) == k && seen&(1<<i) == 0 {
				seen |= 1 << i
				*dsts[i] = p.str()
				return true
			}
		}
		return false
	})
}

// skipValue passes over one value of the plain form: objects, arrays,
// strings without escapes, numbers, true, false and null.
func (p *jsonScan) skipValue(depth int) {
	if depth > 64 {
		p.fail()
		return
	}
	switch c := p.peek(); {
	case c == '{':
		p.object(func([]byte) bool { p.skipValue(depth + 1); return true })
	case c == '[':
		p.array(func() { p.skipValue(depth + 1) })
	case c == '"':
		p.str()
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
func (p *jsonScan) number() {
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
