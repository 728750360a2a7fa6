package storedjson

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// metadataStrings are the values the codec test combines: what Parley
// writes (UUIDs, request ids) and what takes the slow path.
var metadataStrings = []string{
	"", "req-1", "0b5c3a7f-2d4e-4b9a-861c-2d8f3e5b7a10", "a b", "x\"y", `back\slash`, "<script>", "a&b", "tab\there",
	"é", "\u2028", "\x7f", "\x00", "\xff", strings.Repeat("z", 300),
}

func TestMetadataCodecMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return metadataStrings[rng.IntN(len(metadataStrings))] }
	versions := []int{0, 1, 2, 9, 10, 123456789, 1234567890, -1, -42}
	for range 5000 {
		md := domain.Metadata{CorrelationID: pick(), CausationID: pick(), Connection: pick(), TraceID: pick(), KeyID: pick(), SchemaVersion: versions[rng.IntN(len(versions))],
			Actor: domain.Actor{Kind: domain.ActorKind(pick()), ID: pick()}, Hash: pick()}
		want, err := json.Marshal(md)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendMetadata(nil, md)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("AppendMetadata(%+v) = %s, %v; encoding/json writes %s", md, got, err, want)
		}
		back, err := ParseMetadata(got)
		var ref domain.Metadata
		if refErr := json.Unmarshal(got, &ref); err != nil || refErr != nil || back != ref {
			t.Fatalf("ParseMetadata(%s) = %+v, %v; encoding/json reads %+v", got, back, err, ref)
		}
	}
}

// FuzzParseMetadata holds the fast path to encoding/json: whatever it
// accepts, encoding/json reads as the same value.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"schemaVersion":1}`, `{"correlationId":"a","causationId":"b","schemaVersion":2,"connection":"c"}`, `{"schemaVersion":1,"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"}`,
		`{"connection":"c","schemaVersion":0}`, `{"schemaVersion":01}`, `{"schemaVersion":1,"schemaVersion":2}`,
		`{"correlationId":"\u0041","schemaVersion":1}`, `{"extra":1,"schemaVersion":1}`, `{"schemaVersion":1} `,
		`{"schemaVersion":1,"actor":{"kind":"staff","id":"grace"},"hash":"00ff"}`, `{"actor":{"id":"a","kind":"customer"},"schemaVersion":1}`,
		`{"actor":{},"schemaVersion":1}`, `{"actor":{"kind":"a"},"actor":{"id":"b"}}`, `{"actor":null}`, `{"actor":{"Kind":"a"}}`, `{"actor":{"kind":"a",}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		md, ok := parseMetadataFast(b)
		if !ok {
			return
		}
		var ref domain.Metadata
		if err := json.Unmarshal(b, &ref); err != nil || ref != md {
			t.Fatalf("fast path reads %s as %+v; encoding/json: %+v, %v", b, md, ref, err)
		}
	})
}

// MetadataSize must cover what AppendMetadata writes in the plain form, or
// every append copies its buffer once more.
func TestMetadataSizeCoversPlainForm(t *testing.T) {
	id := "0f8fad5b-d9cb-469f-a165-70867728950e"
	for _, md := range []domain.Metadata{
		{}, {SchemaVersion: math.MinInt}, {CorrelationID: id, CausationID: id, Connection: id, SchemaVersion: math.MinInt},
		{CorrelationID: id, CausationID: id, Connection: id, TraceID: id, SchemaVersion: math.MinInt,
			Actor: domain.Actor{Kind: domain.ActorConnector, ID: id}, Hash: strings.Repeat("f", 64)},
	} {
		raw, err := AppendMetadata(nil, md)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) > MetadataSize(md) {
			t.Errorf("AppendMetadata writes %d bytes for %+v, MetadataSize says %d", len(raw), md, MetadataSize(md))
		}
	}
}
