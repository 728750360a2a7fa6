package eventschemas

import (
	"encoding/json"
	"slices"
	"unicode/utf8"

	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// The walk of the compiled checks over an event's bytes (see compiled.go).

// accepts reports whether data, which must be valid UTF-8, is one JSON value
// that conforms to n. False means "ask the reference validator", not
// "invalid".
func (n *compiled) accepts(data []byte) bool {
	i := storedjson.SkipSpace(data, 0)
	end, ok := n.value(data, i, 0)
	return ok && storedjson.SkipSpace(data, end) == len(data)
}

// value checks the JSON value starting at data[i] against n and returns the
// index just after it.
func (n *compiled) value(data []byte, i, depth int) (int, bool) {
	if n.never || i >= len(data) {
		return i, false
	}
	start := i
	var ok bool
	switch c := data[i]; {
	case c == '{':
		if n.types != 0 && n.types&typeObject == 0 || n.hasEnum {
			return i, false
		}
		i, ok = n.object(data, i, depth+1)
	case c == '[':
		if n.types != 0 && n.types&typeArray == 0 || n.hasEnum {
			return i, false
		}
		i, ok = n.array(data, i, depth+1)
	case c == '"':
		if n.types != 0 && n.types&typeString == 0 {
			return i, false
		}
		i, ok = n.str(data, i)
	case c == '-' || '0' <= c && c <= '9':
		i, ok = n.number(data, i)
	case c == 't':
		i, ok = literal(data, i, "true", n.types, typeBoolean)
	case c == 'f':
		i, ok = literal(data, i, "false", n.types, typeBoolean)
	case c == 'n':
		i, ok = literal(data, i, "null", n.types, typeNull)
	}
	if !ok || n.hasEnum && data[start] != '"' {
		return i, false
	}
	for _, branch := range n.anyOf {
		if _, ok := branch.value(data, start, depth); ok {
			return i, true
		}
	}
	return i, len(n.anyOf) == 0
}

func literal(data []byte, i int, word string, types, want uint8) (int, bool) {
	if types != 0 && types&want == 0 || len(data)-i < len(word) || string(data[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}

func (n *compiled) object(data []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	var seen uint64 // bit k: required[k] was present
	i = storedjson.SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, n.allRequired(seen)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return i, false
		}
		keyStart := i
		var escaped, ok bool
		i, escaped, ok = storedjson.StringEnd(data, i)
		if !ok {
			return i, false
		}
		key := data[keyStart+1 : i-1]
		var keyText string
		if escaped {
			if keyText, ok = unquote(data[keyStart:i]); !ok {
				return i, false
			}
		}
		i = storedjson.SkipSpace(data, i)
		if i >= len(data) || data[i] != ':' {
			return i, false
		}
		i = storedjson.SkipSpace(data, i+1)
		var sub *compiled
		if escaped {
			sub = n.properties[keyText]
			seen |= n.requiredBit(keyText)
		} else {
			sub = n.properties[string(key)]
			seen |= n.requiredBit(string(key))
		}
		if sub == nil {
			if n.closedToOthers {
				return i, false
			}
			sub = &anyValue
		}
		if i, ok = sub.value(data, i, depth); !ok {
			return i, false
		}
		var closed bool
		if i, closed, ok = afterElement(data, i, '}'); !ok || closed {
			return i, ok && n.allRequired(seen)
		}
	}
}

// afterElement reads what follows a member or an item: a comma (and the
// space after it) or the closing bracket.
func afterElement(data []byte, i int, closing byte) (next int, closed, ok bool) {
	i = storedjson.SkipSpace(data, i)
	switch {
	case i >= len(data):
		return i, false, false
	case data[i] == ',':
		return storedjson.SkipSpace(data, i+1), false, true
	case data[i] == closing:
		return i + 1, true, true
	}
	return i, false, false
}

// anyValue is the schema of a member no keyword constrains.
var anyValue = compiled{minLength: -1, maxLength: -1, maxItems: -1}

func (n *compiled) requiredBit(key string) uint64 {
	for k, name := range n.required {
		if name == key {
			return 1 << k
		}
	}
	return 0
}

func (n *compiled) allRequired(seen uint64) bool {
	return seen == 1<<len(n.required)-1
}

func (n *compiled) array(data []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	items := n.items
	if items == nil {
		items = &anyValue
	}
	count := 0
	i = storedjson.SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, count >= n.minItems
	}
	for {
		var ok bool
		if i, ok = items.value(data, i, depth); !ok {
			return i, false
		}
		count++
		if n.maxItems >= 0 && count > n.maxItems {
			return i, false
		}
		var closed bool
		if i, closed, ok = afterElement(data, i, ']'); !ok || closed {
			return i, ok && count >= n.minItems
		}
	}
}

func (n *compiled) str(data []byte, i int) (int, bool) {
	start := i
	i, escaped, ok := storedjson.StringEnd(data, i)
	if !ok || !n.hasStringChecks {
		return i, ok
	}
	content := data[start+1 : i-1]
	if escaped {
		text, ok := unquote(data[start:i])
		if !ok {
			return i, false
		}
		content = []byte(text)
	}
	return i, n.stringConforms(content)
}

func (n *compiled) stringConforms(s []byte) bool {
	if n.hasEnum && !slices.Contains(n.enum, string(s)) {
		return false
	}
	if n.minLength >= 0 || n.maxLength >= 0 {
		// Lengths count code points, as JSON Schema does. No need to count
		// a string whose byte length already settles it.
		// A code point takes one to four bytes.
		if n.minLength > len(s) {
			return false
		}
		if n.maxLength >= 0 && len(s) > n.maxLength || n.minLength > (len(s)+3)/4 {
			runes := utf8.RuneCount(s)
			if runes < n.minLength || n.maxLength >= 0 && runes > n.maxLength {
				return false
			}
		}
	}
	if n.pattern != nil && !n.pattern.Match(s) {
		return false
	}
	switch n.format {
	case formatUUID:
		return isUUID(s)
	case formatDateTime:
		return isDateTime(s)
	}
	return true
}

// unquote decodes a string literal with escapes the way the reference
// validator's decoder (encoding/json) does, so lengths and patterns are
// checked on the same text.
func unquote(literal []byte) (string, bool) {
	var s string
	return s, json.Unmarshal(literal, &s) == nil
}

func (n *compiled) number(data []byte, i int) (int, bool) {
	start := i
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	integral := true
	if i < len(data) && data[i] == '.' {
		integral = false
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return i, false
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integral = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return i, false
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	if n.types != 0 && n.types&typeNumber == 0 && !(integral && n.types&typeInteger != 0) {
		return i, false
	}
	if n.hasMinimum || n.hasMaximum {
		// Bounds are checked on integers of up to 18 digits only; anything
		// else goes to the reference validator.
		if !integral {
			return i, false
		}
		v, ok := parseInt(data[start:i])
		if !ok || n.hasMinimum && v < n.minimum || n.hasMaximum && v > n.maximum {
			return i, false
		}
	}
	return i, true
}

func parseInt(b []byte) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}
