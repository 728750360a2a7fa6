package eventschemas

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// This file and walk.go are the fast path of Validate. Every event is
// checked on append (reads trust what Parley wrote, ADR 32), and every
// stored event again by store verify and migrate. The reference validator
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
		if err := c.keyword(n, k, v); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	n.hasStringChecks = n.hasEnum || n.minLength >= 0 || n.maxLength >= 0 || n.pattern != nil || n.format != formatNone
	return n, nil
}

// keyword compiles one keyword of a schema object into n.
func (c *compiler) keyword(n *compiled, k string, v any) error {
	var err error
	switch k {
	case "type":
		err = n.compileType(v)
	case "const", "enum", "minLength", "maxLength", "pattern", "format":
		err = n.stringKeyword(k, v)
	case "minimum", "maximum":
		var i int
		i, err = integer(k, v)
		if k == "minimum" {
			n.minimum, n.hasMinimum = int64(i), true
		} else {
			n.maximum, n.hasMaximum = int64(i), true
		}
	case "properties", "required", "additionalProperties":
		err = c.objectKeyword(n, k, v)
	case "items", "minItems", "maxItems":
		err = c.arrayKeyword(n, k, v)
	case "anyOf":
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("anyOf must be a non-empty array")
		}
		for i, sub := range list {
			branch, err := c.compile(sub)
			if err != nil {
				return fmt.Errorf("anyOf[%d]: %w", i, err)
			}
			n.anyOf = append(n.anyOf, branch)
		}
	case "not":
		// Only not: {} (the value must be absent) is needed, and
		// supported.
		if m, ok := v.(map[string]any); !ok || len(m) != 0 {
			return fmt.Errorf("not: only the empty schema is supported")
		}
		n.never = true
	default:
		return fmt.Errorf("keyword %q is not supported", k)
	}
	return err
}

// stringKeyword compiles the keywords that constrain strings.
func (n *compiled) stringKeyword(k string, v any) error {
	var err error
	switch k {
	case "const":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("const %v: only strings are supported", v)
		}
		n.enum, n.hasEnum = intersect(n, []string{str}), true
	case "enum":
		var values []string
		list, _ := v.([]any)
		for _, e := range list {
			str, ok := e.(string)
			if !ok {
				return fmt.Errorf("enum value %v: only strings are supported", e)
			}
			values = append(values, str)
		}
		if list == nil {
			return fmt.Errorf("enum is not an array")
		}
		n.enum, n.hasEnum = intersect(n, values), true
	case "minLength":
		n.minLength, err = count(k, v)
	case "maxLength":
		n.maxLength, err = count(k, v)
	case "pattern":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("pattern is not a string")
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
			return fmt.Errorf("format %v is not supported", v)
		}
	}
	return err
}

// objectKeyword compiles the keywords that constrain objects.
func (c *compiler) objectKeyword(n *compiled, k string, v any) error {
	switch k {
	case "properties":
		props, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("properties is not an object")
		}
		n.properties = map[string]*compiled{}
		for name, sub := range props {
			var err error
			if n.properties[name], err = c.compile(sub); err != nil {
				return fmt.Errorf("properties.%s: %w", name, err)
			}
		}
	case "required":
		list, ok := v.([]any)
		if !ok || len(list) > 64 {
			return fmt.Errorf("required must be an array of at most 64 names")
		}
		for _, e := range list {
			name, ok := e.(string)
			if !ok {
				return fmt.Errorf("required holds %v", e)
			}
			n.required = append(n.required, name)
		}
	case "additionalProperties":
		if v != false {
			return fmt.Errorf("additionalProperties: only false is supported")
		}
		n.closedToOthers = true
	}
	return nil
}

// arrayKeyword compiles the keywords that constrain arrays.
func (c *compiler) arrayKeyword(n *compiled, k string, v any) error {
	var err error
	switch k {
	case "items":
		n.items, err = c.compile(v)
	case "minItems":
		n.minItems, err = count(k, v)
	case "maxItems":
		n.maxItems, err = count(k, v)
	}
	return err
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
