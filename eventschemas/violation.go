package eventschemas

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/parley-chat/parley/domain"
)

// problem is one reason an instance fails its schema.
type problem struct {
	depth int    // how deep in the event the field sits; 0 for the event itself
	field string // dotted path, "" for the event itself
	msg   string // says what is wrong, naming the field
}

// violation turns the library's error tree into a *domain.Error about the
// first failing field. The validator visits object properties in map order,
// so problems are sorted (shallowest first, then by name) to make "first"
// stable from run to run.
func violation(eventType string, version int, inst any, verr *jsonschema.ValidationError) *domain.Error {
	ps := collect(inst, verr, nil)
	if len(ps) == 0 {
		return &domain.Error{Code: domain.CodeSchema, Message: fmt.Sprintf("%s v%d: validation failed", eventType, version)}
	}
	slices.SortStableFunc(ps, func(a, b problem) int {
		return cmp.Or(cmp.Compare(a.depth, b.depth), cmp.Compare(a.field, b.field))
	})
	msg := fmt.Sprintf("%s v%d: %s", eventType, version, ps[0].msg)
	var others error
	switch n := len(ps) - 1; {
	case n == 1:
		msg += " (and 1 more problem)"
	case n > 1:
		msg += fmt.Sprintf(" (and %d more problems)", n)
	}
	if len(ps) > 1 {
		others = otherProblems(ps[1:])
	}
	return &domain.Error{Code: domain.CodeSchema, Field: ps[0].field, Message: msg, Err: others}
}

// otherProblems lists the problems after the first, for logs. The library's
// own error text is not kept as the cause because it quotes values, which
// may be personal data or a whole message text.
func otherProblems(ps []problem) error {
	const most = 10
	msgs := make([]string, 0, most+1)
	for i, p := range ps {
		if i == most {
			msgs = append(msgs, "and more")
			break
		}
		msgs = append(msgs, p.msg)
	}
	return errors.New("also: " + strings.Join(msgs, "; "))
}

// collect appends the problems of e's leaves to ps.
func collect(inst any, e *jsonschema.ValidationError, ps []problem) []problem {
	at := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		if _, ok := k.(*kind.OneOf); ok && len(e.Causes) == 0 {
			return append(ps, leaf(inst, at, "matches more than one alternative"))
		}
		// Every alternative failed: one problem that lists what each wanted
		// reads better than a problem per alternative.
		var alts []string
		var first *problem
		for _, c := range e.Causes {
			sub := collect(inst, c, nil)
			if len(sub) == 0 {
				continue
			}
			if first == nil {
				first = &sub[0]
			}
			alts = append(alts, sub[0].msg)
		}
		if first == nil {
			return append(ps, leaf(inst, at, "matches none of the alternatives"))
		}
		return append(ps, problem{depth: first.depth, field: first.field, msg: strings.Join(alts, ", or ")})
	case *kind.Required:
		for _, name := range k.Missing {
			ps = append(ps, leaf(inst, append(slices.Clip(at), name), "is required"))
		}
		return ps
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			ps = append(ps, leaf(inst, append(slices.Clip(at), name), "is not a field of this event type and version"))
		}
		return ps
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			ps = collect(inst, c, ps)
		}
		return ps
	}
	return append(ps, leaf(inst, at, describe(e.ErrorKind)))
}

// leaf builds the problem at instance location loc. The message names the
// field itself, so that it reads on its own where Field is not shown.
func leaf(inst any, loc []string, what string) problem {
	field := fieldPath(inst, loc)
	name := field
	if name == "" {
		name = "the event"
	}
	return problem{depth: len(loc), field: field, msg: name + " " + what}
}

// describe says what is wrong without quoting the value, which may be
// personal data.
func describe(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = article(w)
		}
		return fmt.Sprintf("must be %s, not %s", strings.Join(want, " or "), article(k.Got))
	case *kind.Enum:
		return "must be one of " + values(k.Want)
	case *kind.Const:
		return "must be " + values([]any{k.Want})
	case *kind.Format:
		return "is not a valid " + k.Want
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("has %d characters, fewer than %d", k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("has %d characters, more than the limit of %d", k.Got, k.Want)
	case *kind.Pattern:
		if k.Want == `\S` {
			return "must contain more than white space"
		}
		return "does not match the pattern " + k.Want
	case *kind.MinItems:
		return fmt.Sprintf("has %d items, fewer than %d", k.Got, k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("has %d items, more than the limit of %d", k.Got, k.Want)
	case *kind.Not, *kind.FalseSchema:
		return "must not be present"
	case *kind.InvalidJsonValue:
		return "is not a JSON value"
	}
	return "breaks the schema's " + strings.Join(k.KeywordPath(), "/") + " rule"
}

// article puts "a" or "an" before a JSON type name.
func article(jsonType string) string {
	switch jsonType {
	case "null":
		return jsonType
	case "object", "array", "integer":
		return "an " + jsonType
	}
	return "a " + jsonType
}

func values(vs []any) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		out[i] = string(b)
	}
	return strings.Join(out, ", ")
}

// fieldPath renders a JSON Pointer's tokens as a dotted path with array
// indexes in brackets ("to[1].id"). Whether a token is an index depends on
// the instance, so the path is walked through it.
func fieldPath(inst any, loc []string) string {
	var b strings.Builder
	cur := inst
	for _, tok := range loc {
		if arr, ok := cur.([]any); ok {
			b.WriteString("[" + tok + "]")
			cur = nil
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(arr) {
				cur = arr[i]
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		obj, _ := cur.(map[string]any)
		cur = obj[tok]
	}
	return b.String()
}
