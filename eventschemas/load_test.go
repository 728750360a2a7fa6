package eventschemas

import (
	"strings"
	"testing"
	"testing/fstest"
)

func schemaFile(eventType, version string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{"$schema":"` + schemaDialect + `","$id":"urn:parley:event:` + eventType + `:` + version + `","type":"object"}`)}
}

func noUpcast([]byte) ([]byte, error) { return nil, nil }

func TestLoad_RefusesBrokenLayouts(t *testing.T) {
	up := map[string]map[int]upcaster{"A": {1: noUpcast}}
	for name, tt := range map[string]struct {
		fs   fstest.MapFS
		ups  map[string]map[int]upcaster
		want string
	}{
		"stray file":       {fstest.MapFS{"schemas/A/v1.json": schemaFile("A", "v1"), "schemas/README.md": {}}, nil, "schemas/<EventType>/v<N>.json"},
		"nested too deep":  {fstest.MapFS{"schemas/A/old/v1.json": schemaFile("A", "v1")}, nil, "schemas/<EventType>/v<N>.json"},
		"leading zero":     {fstest.MapFS{"schemas/A/v01.json": schemaFile("A", "v1")}, nil, "leading zeros"},
		"version 0":        {fstest.MapFS{"schemas/A/v0.json": schemaFile("A", "v0")}, nil, "positive integer"},
		"odd type name":    {fstest.MapFS{"schemas/A.B/v1.json": schemaFile("A.B", "v1")}, nil, "letters and digits"},
		"gap":              {fstest.MapFS{"schemas/A/v1.json": schemaFile("A", "v1"), "schemas/A/v3.json": schemaFile("A", "v3")}, nil, "without a gap"},
		"no v1":            {fstest.MapFS{"schemas/A/v2.json": schemaFile("A", "v2")}, nil, "without a gap"},
		"copied $id":       {fstest.MapFS{"schemas/A/v1.json": schemaFile("A", "v1"), "schemas/A/v2.json": schemaFile("A", "v1")}, up, `$id must be "urn:parley:event:A:v2"`},
		"other dialect":    {fstest.MapFS{"schemas/A/v1.json": {Data: []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","$id":"urn:parley:event:A:v1"}`)}}, nil, "$schema must be"},
		"not JSON":         {fstest.MapFS{"schemas/A/v1.json": {Data: []byte(`{`)}}, nil, "schemas/A/v1.json"},
		"does not compile": {fstest.MapFS{"schemas/A/v1.json": {Data: []byte(`{"$schema":"` + schemaDialect + `","$id":"urn:parley:event:A:v1","type":"thing"}`)}}, nil, "schemas/A/v1.json"},
		"remote $ref":      {fstest.MapFS{"schemas/A/v1.json": {Data: []byte(`{"$schema":"` + schemaDialect + `","$id":"urn:parley:event:A:v1","$ref":"https://example.com/s.json"}`)}}, nil, "schemas/A/v1.json"},
		"missing upcaster": {fstest.MapFS{"schemas/A/v1.json": schemaFile("A", "v1"), "schemas/A/v2.json": schemaFile("A", "v2")}, nil, "no upcaster from version 1 to 2"},
		"stray upcaster":   {fstest.MapFS{"schemas/A/v1.json": schemaFile("A", "v1")}, up, "upcaster from version 1 has no schema"},
		"empty":            {fstest.MapFS{"schemas/.keep": {}}, nil, "schemas/<EventType>/v<N>.json"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := load(tt.fs, tt.ups)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestLoad_AcceptsAChain(t *testing.T) {
	r, err := load(fstest.MapFS{"schemas/A/v1.json": schemaFile("A", "v1"), "schemas/A/v2.json": schemaFile("A", "v2")}, map[string]map[int]upcaster{"A": {1: noUpcast}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Latest("A") != 2 {
		t.Errorf("latest = %d, want 2", r.Latest("A"))
	}
}
