package eventschemas

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// This file is the fast path of Validate. Every stored event is checked on
// append and on every read, so the check runs several times per message and
// a million times when projections are rebuilt. The reference validator
// (santhosh-tekuri/jsonschema) first decodes the event into maps and
// interfaces, which costs about 8 µs and 90 allocations an event. The fast
// path compiles each schema into a small tree of checks and walks the JSON
// bytes once, allocating nothing for the data Parley writes.
//
// It is sound, not complete: when it accepts data, the reference validator
// accepts it too (FuzzCompiledSound holds the two to that), but it may
// refuse data the reference would accept, because it is stricter in corners
// no Parley writer produces: integers written as 1.0 or 1e2, leap seconds,
// lower-case t and z in timestamps, a member given twice (the reference
// checks the last one only), nesting deeper than maxDepth. A refusal
// is never final: Validate then asks the reference validator, which has the
// last word and writes the error. A schema using a keyword the compiler does
// not know gets no fast path at all, which TestEverySchemaCompiles forbids
// for the embedded files.

// maxDepth bounds the nesting the fast path walks; deeper data goes to the
// reference validator, which allows Go's JSON decoder's 10,000 levels.
const maxDepth = 512

// JSON types, as bits of compiled.types.
const (
	typeObject = 1 << iota
	typeArray
	typeString
	typeInteger
	typeNumber // includes integers
	typeBoolean
	typeNull
)

type format uint8

const (
	formatNone format = iota
	formatUUID
	formatDateTime
)

// compiled is one schema, or subschema, compiled to checks. The zero value
// accepts any JSON value.
type compiled struct {
	types uint8 // 0: any type
	never bool  // the schema false, or not: {}

	// enum holds the allowed values when the schema has enum or const; only
	// string values are supported.
	enum    []string
	hasEnum bool

	minLength, maxLength int // -1 when absent
	pattern              *regexp.Regexp
	format               format

	minimum, maximum       int64
	hasMinimum, hasMaximum bool

	properties      map[string]*compiled
	required        []string
	closedToOthers  bool // additionalProperties: false
	items           *compiled
	minItems        int
	maxItems        int // -1 when absent
	anyOf           []*compiled
	hasStringChecks bool
}

// annotations are keywords that do not constrain data.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true,
	"title": true, "description": true, "examples": true,
}

// compiler turns a schema document into compiled checks, resolving $ref
// within the same document.
type compiler struct {
	root map[string]any
	defs map[string]*compiled
}

func compileFast(doc any) (*compiled, error) {
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema is not an object")
	}
	c := &compiler{root: root, defs: map[string]*compiled{}}
	return c.compile(root)
}

func (c *compiler) compile(v any) (*compiled, error) {
	switch s := v.(type) {
	case bool:
		return &compiled{never: !s, minLength: -1, maxLength: -1, maxItems: -1}, nil
	case map[string]any:
		return c.compileObject(s)
	}
	return nil, fmt.Errorf("schema is %T, not an object or a boolean", v)
}

func (c *compiler) compileObject(s map[string]any) (*compiled, error) {
	if ref, ok := s["$ref"]; ok {
		// A $ref beside other keywords would need both applied; none of
		// Parley's schemas do that, so it is not supported.
		for k := range s {
			if k != "$ref" && !annotations[k] {
				return nil, fmt.Errorf("$ref beside %q", k)
			}
		}
		return c.resolve(ref)
	}
	n := &compiled{minLength: -1, maxLength: -1, maxItems: -1}
	for k, v := range s {
		if annotations[k] {
			continue
		}
		var err error
		switch k {
		case "type":
			err = n.compileType(v)
		case "const":
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("const %v: only strings are supported", v)
			}
			n.enum, n.hasEnum = intersect(n, []string{str}), true
		case "enum":
			var values []string
			list, _ := v.([]any)
			for _, e := range list {
				str, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("enum value %v: only strings are supported", e)
				}
				values = append(values, str)
			}
			if list == nil {
				return nil, fmt.Errorf("enum is not an array")
			}
			n.enum, n.hasEnum = intersect(n, values), true
		case "minLength":
			n.minLength, err = count(k, v)
		case "maxLength":
			n.maxLength, err = count(k, v)
		case "pattern":
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("pattern is not a string")
			}
			// The reference validator uses Go's regexp too, so both agree
			// on what a pattern means.
			n.pattern, err = regexp.Compile(str)
		case "format":
			switch v {
			case "uuid":
				n.format = formatUUID
			case "date-time":
				n.format = formatDateTime
			default:
				return nil, fmt.Errorf("format %v is not supported", v)
			}
		case "minimum", "maximum":
			var i int
			i, err = integer(k, v)
			if k == "minimum" {
				n.minimum, n.hasMinimum = int64(i), true
			} else {
				n.maximum, n.hasMaximum = int64(i), true
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("properties is not an object")
			}
			n.properties = map[string]*compiled{}
			for name, sub := range props {
				if n.properties[name], err = c.compile(sub); err != nil {
					return nil, fmt.Errorf("properties.%s: %w", name, err)
				}
			}
		case "required":
			list, ok := v.([]any)
			if !ok || len(list) > 64 {
				return nil, fmt.Errorf("required must be an array of at most 64 names")
			}
			for _, e := range list {
				name, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("required holds %v", e)
				}
				n.required = append(n.required, name)
			}
		case "additionalProperties":
			if v != false {
				return nil, fmt.Errorf("additionalProperties: only false is supported")
			}
			n.closedToOthers = true
		case "items":
			n.items, err = c.compile(v)
		case "minItems":
			n.minItems, err = count(k, v)
		case "maxItems":
			n.maxItems, err = count(k, v)
		case "anyOf":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("anyOf must be a non-empty array")
			}
			for i, sub := range list {
				branch, err := c.compile(sub)
				if err != nil {
					return nil, fmt.Errorf("anyOf[%d]: %w", i, err)
				}
				n.anyOf = append(n.anyOf, branch)
			}
		case "not":
			// Only not: {} (the value must be absent) is needed, and
			// supported.
			if m, ok := v.(map[string]any); !ok || len(m) != 0 {
				return nil, fmt.Errorf("not: only the empty schema is supported")
			}
			n.never = true
		default:
			return nil, fmt.Errorf("keyword %q is not supported", k)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	n.hasStringChecks = n.hasEnum || n.minLength >= 0 || n.maxLength >= 0 || n.pattern != nil || n.format != formatNone
	return n, nil
}

// intersect applies a second enum or const to the values n already allows.
func intersect(n *compiled, values []string) []string {
	if !n.hasEnum {
		return values
	}
	return slices.DeleteFunc(slices.Clone(values), func(v string) bool { return !slices.Contains(n.enum, v) })
}

// typeBits maps the names of JSON types to bits of compiled.types.
var typeBits = map[string]uint8{
	"object": typeObject, "array": typeArray, "string": typeString, "integer": typeInteger,
	"number": typeNumber, "boolean": typeBoolean, "null": typeNull,
}

func (n *compiled) compileType(v any) error {
	names := []any{v}
	if list, ok := v.([]any); ok {
		names = list
	}
	for _, name := range names {
		str, _ := name.(string)
		bit, ok := typeBits[str]
		if !ok {
			return fmt.Errorf("unknown type %v", name)
		}
		n.types |= bit
	}
	return nil
}

func (c *compiler) resolve(ref any) (*compiled, error) {
	name, ok := strings.CutPrefix(fmt.Sprint(ref), "#/$defs/")
	if !ok || strings.Contains(name, "/") {
		return nil, fmt.Errorf("$ref %v: only #/$defs/<name> is supported", ref)
	}
	if n, ok := c.defs[name]; ok {
		if n == nil {
			return nil, fmt.Errorf("$ref %v is recursive", ref)
		}
		return n, nil
	}
	defs, _ := c.root["$defs"].(map[string]any)
	def, ok := defs[name]
	if !ok {
		return nil, fmt.Errorf("$ref %v: no such definition", ref)
	}
	c.defs[name] = nil
	n, err := c.compile(def)
	if err != nil {
		return nil, fmt.Errorf("$defs.%s: %w", name, err)
	}
	c.defs[name] = n
	return n, nil
}

func count(keyword string, v any) (int, error) {
	i, err := integer(keyword, v)
	if err == nil && i < 0 {
		err = fmt.Errorf("%s is negative", keyword)
	}
	return i, err
}

func integer(keyword string, v any) (int, error) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s is not a number", keyword)
	}
	i, err := num.Int64()
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		return 0, fmt.Errorf("%s %v: only integers of 32 bits are supported", keyword, v)
	}
	return int(i), nil
}

// accepts reports whether data, which must be valid UTF-8, is one JSON value
// that conforms to n. False means "ask the reference validator", not
// "invalid".
func (n *compiled) accepts(data []byte) bool {
	i := skipSpace(data, 0)
	end, ok := n.value(data, i, 0)
	return ok && skipSpace(data, end) == len(data)
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
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, n.allRequired(seen)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return i, false
		}
		keyStart := i
		var escaped, ok bool
		i, escaped, ok = scanString(data, i)
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
		i = skipSpace(data, i)
		if i >= len(data) || data[i] != ':' {
			return i, false
		}
		i = skipSpace(data, i+1)
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
	i = skipSpace(data, i)
	switch {
	case i >= len(data):
		return i, false, false
	case data[i] == ',':
		return skipSpace(data, i+1), false, true
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
	i = skipSpace(data, i+1)
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
	i, escaped, ok := scanString(data, i)
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

// scanString returns the index after the string literal starting at
// data[i], and whether it holds escapes. It refuses what JSON refuses:
// control characters and unknown or short escapes.
func scanString(data []byte, i int) (end int, escaped, ok bool) {
	for i++; i < len(data); i++ {
		i += storedjson.PlainPrefix(data[i:])
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
				if len(data)-i < 5 || !isHex(data[i+1:i+5]) {
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

func skipSpace(data []byte, i int) int {
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

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isUUID accepts the 8-4-4-4-12 hex form, as the reference does.
func isUUID(s []byte) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	return isHex(s[0:8]) && isHex(s[9:13]) && isHex(s[14:18]) && isHex(s[19:23]) && isHex(s[24:36])
}

// isDateTime accepts RFC 3339 date-times: YYYY-MM-DDTHH:MM:SS, an optional
// fraction, then Z or an offset. It is stricter than the reference (upper
// case T and Z only, no leap second, years from 0001).
func isDateTime(s []byte) bool {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	second, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || year < 1 || month < 1 || month > 12 ||
		day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59 {
		return false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	if len(rest) == 1 && rest[0] == 'Z' {
		return true
	}
	if len(rest) != 6 || rest[0] != '+' && rest[0] != '-' || rest[3] != ':' {
		return false
	}
	zh, ok1 := digits(rest[1:3])
	zm, ok2 := digits(rest[4:6])
	return ok1 && ok2 && zh <= 23 && zm <= 59
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
