// Package eventschemas holds a JSON Schema for every version of every event
// type Parley stores, and the means to enforce them: a Registry that validates
// event data, upcasters that lift old versions to the current one, and
// Checked, an EventStore decorator that validates on every append and read.
//
// The schemas are the files schemas/<EventType>/v<N>.json, embedded in the
// binary so that the rules a node enforces are the rules it was built with.
// A published version is never edited: a change of shape is a new version
// with an upcaster (see upcast.go).
package eventschemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/parley-chat/parley/domain"
)

//go:embed schemas
var embedded embed.FS

// schemaDialect is the only dialect the schema files may declare, so that a
// file cannot silently change the rules by naming another draft.
const schemaDialect = "https://json-schema.org/draft/2020-12/schema"

// schemaID is the $id each schema file must declare. Checking it catches a
// file copied to start a new version but left naming the old one.
func schemaID(eventType string, version int) string {
	return "urn:parley:event:" + eventType + ":v" + strconv.Itoa(version)
}

type schemaKey struct {
	eventType string
	version   int
}

// Registry holds the compiled schema of every event type and version. It is
// immutable after Load and safe for concurrent use.
type Registry struct {
	schemas map[schemaKey]*jsonschema.Schema
	// fast holds the compiled fast path of each schema (see compiled.go);
	// fastErr says why a schema has none.
	fast       map[schemaKey]*compiled
	fastErr    map[schemaKey]error
	latest     map[string]int
	upcasters  map[string]map[int]upcaster
	eventTypes []string
}

// Load compiles the embedded schemas. It fails when a file is misplaced or
// misnamed, does not compile, declares another dialect or $id, when an event
// type's versions do not run from 1 without a gap, or when an old version has
// no upcaster to the next one.
func Load() (*Registry, error) {
	return load(embedded, upcasters)
}

// MustLoad is Load for program start-up and tests: the embedded files are
// part of the build, so a failure is a bug in the build, not a runtime
// condition to handle.
func MustLoad() *Registry {
	r, err := Load()
	if err != nil {
		panic(err)
	}
	return r
}

func load(fsys fs.FS, ups map[string]map[int]upcaster) (*Registry, error) {
	r := &Registry{
		schemas:   map[schemaKey]*jsonschema.Schema{},
		fast:      map[schemaKey]*compiled{},
		fastErr:   map[schemaKey]error{},
		latest:    map[string]int{},
		upcasters: ups,
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// Formats (uuid, date-time) are only annotations in 2020-12 unless
	// asserted, and they are half of what protects the store.
	c.AssertFormat()
	// Every schema is self-contained; refusing to load anything keeps a stray
	// $ref from reading the disk or the network at start-up.
	c.UseLoader(jsonschema.SchemeURLLoader{})

	versions := map[string][]int{}
	err := fs.WalkDir(fsys, "schemas", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		eventType, version, err := parseSchemaPath(p)
		if err != nil {
			return err
		}
		sch, doc, err := compile(c, fsys, p, eventType, version)
		if err != nil {
			return err
		}
		key := schemaKey{eventType, version}
		r.schemas[key] = sch
		if r.fast[key], err = compileFast(doc); err != nil {
			r.fastErr[key] = fmt.Errorf("%s: no fast path: %w", p, err)
		}
		versions[eventType] = append(versions[eventType], version)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("eventschemas: %w", err)
	}
	if len(r.schemas) == 0 {
		return nil, errors.New("eventschemas: no schema files found")
	}
	var problems []error
	for _, eventType := range slices.Sorted(maps.Keys(versions)) {
		vs := versions[eventType]
		slices.Sort(vs)
		for i, v := range vs {
			if v != i+1 {
				problems = append(problems, fmt.Errorf("eventschemas: %s: versions must run from 1 without a gap, got %v", eventType, vs))
				break
			}
		}
		r.latest[eventType] = vs[len(vs)-1]
		r.eventTypes = append(r.eventTypes, eventType)
		for v := 1; v < r.latest[eventType]; v++ {
			if ups[eventType][v] == nil {
				problems = append(problems, fmt.Errorf("eventschemas: %s: no upcaster from version %d to %d", eventType, v, v+1))
			}
		}
	}
	for _, eventType := range slices.Sorted(maps.Keys(ups)) {
		for _, v := range slices.Sorted(maps.Keys(ups[eventType])) {
			if v < 1 || v >= r.latest[eventType] {
				problems = append(problems, fmt.Errorf("eventschemas: %s: upcaster from version %d has no schema to lift to", eventType, v))
			}
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return r, nil
}

// parseSchemaPath reads the event type and version from a path of the form
// schemas/<EventType>/v<N>.json.
func parseSchemaPath(p string) (string, int, error) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 || !strings.HasPrefix(parts[2], "v") || !strings.HasSuffix(parts[2], ".json") {
		return "", 0, fmt.Errorf("%s: schema files are schemas/<EventType>/v<N>.json", p)
	}
	eventType := parts[1]
	if eventType == "" || strings.ContainsFunc(eventType, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) {
		return "", 0, fmt.Errorf("%s: event type %q must be letters and digits", p, eventType)
	}
	digits := strings.TrimSuffix(strings.TrimPrefix(parts[2], "v"), ".json")
	version, err := strconv.Atoi(digits)
	if err != nil || version < 1 || strconv.Itoa(version) != digits {
		return "", 0, fmt.Errorf("%s: version must be a positive integer without leading zeros", p)
	}
	return eventType, version, nil
}

func compile(c *jsonschema.Compiler, fsys fs.FS, p, eventType string, version int) (*jsonschema.Schema, any, error) {
	raw, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p, err)
	}
	obj, _ := doc.(map[string]any)
	if obj["$schema"] != schemaDialect {
		return nil, nil, fmt.Errorf("%s: $schema must be %q", p, schemaDialect)
	}
	id := schemaID(eventType, version)
	if obj["$id"] != id {
		return nil, nil, fmt.Errorf("%s: $id must be %q, the file's type and version", p, id)
	}
	if err := c.AddResource(id, doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p, err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p, err)
	}
	return sch, doc, nil
}

// Latest returns the current schema version of eventType, the version every
// new event of that type is written in, or 0 when the type has no schema.
func (r *Registry) Latest(eventType string) int { return r.latest[eventType] }

// EventTypes returns the event types that have a schema, sorted.
func (r *Registry) EventTypes() []string { return slices.Clone(r.eventTypes) }

// Validate checks data, the JSON of an event of eventType written in schema
// version, against that version's schema. It returns nil when data conforms,
// and otherwise a *domain.Error with code domain.CodeSchema whose Field names
// the first failing field as a dotted path ("from.id", "to[0].role"; empty
// for the event as a whole). Data that is not UTF-8 JSON, and a type or
// version without a schema, are refused the same way. Messages never quote
// the offending value: it may be personal data, and errors end up in logs.
func (r *Registry) Validate(eventType string, version int, data []byte) error {
	sch, err := r.schema(eventType, version)
	if err != nil {
		return err
	}
	if !utf8.Valid(data) {
		return &domain.Error{Code: domain.CodeSchema, Message: fmt.Sprintf("%s v%d: data is not valid UTF-8", eventType, version)}
	}
	// The fast path's yes is final; its no is a question for the reference
	// validator below, which also explains what is wrong.
	if fast := r.fast[schemaKey{eventType, version}]; fast != nil && fast.accepts(data) {
		return nil
	}
	// Numbers stay json.Number: as float64 a number out of range (in info,
	// say) would fail here although the domain stores it verbatim.
	inst, err := unmarshalInstance(data)
	if err != nil {
		return &domain.Error{Code: domain.CodeSchema, Message: fmt.Sprintf("%s v%d: data is not valid JSON", eventType, version), Err: err}
	}
	if err := sch.Validate(inst); err != nil {
		var verr *jsonschema.ValidationError
		if !errors.As(err, &verr) {
			return &domain.Error{Code: domain.CodeSchema, Message: fmt.Sprintf("%s v%d: validation failed", eventType, version), Err: err}
		}
		return violation(eventType, version, inst, verr)
	}
	return nil
}

func (r *Registry) schema(eventType string, version int) (*jsonschema.Schema, error) {
	if sch, ok := r.schemas[schemaKey{eventType, version}]; ok {
		return sch, nil
	}
	latest, known := r.latest[eventType]
	if !known {
		return nil, &domain.Error{Code: domain.CodeSchema, Message: fmt.Sprintf("event type %q has no schema; every stored event type needs one", eventType)}
	}
	return nil, &domain.Error{Code: domain.CodeSchema, Message: fmt.Sprintf("%s has no schema version %d (versions 1 to %d exist)", eventType, version, latest)}
}

// known reports whether eventType has a schema at all.
func (r *Registry) known(eventType string) bool {
	_, ok := r.latest[eventType]
	return ok
}

// unmarshalInstance decodes data for the reference validator.
func unmarshalInstance(data []byte) (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(data))
}
