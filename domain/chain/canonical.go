// Package chain makes every stream's history tamper-evident: each event's
// metadata carries a SHA-256 hash over the previous event's hash and the
// event itself (ADR 40), set by a store decorator on append and checked by
// Verify and Walker on the bytes as stored.
package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/parley-chat/parley/domain"
)

// Genesis is the previous hash of the first hashed event of a stream: its
// first event, or the first one appended after the chain was introduced to
// a stream that already held events.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// formTag opens the canonical form, so that a later form can never hash
// the same as this one.
const formTag = "parley-chain-v1"

// Event is what the hash covers of one event: its stream, id, type, data
// as stored, and metadata (of which only the keys of covered are used).
type Event struct {
	Stream   string
	ID       string
	Type     string
	Data     []byte
	Metadata domain.Metadata
}

// Recorded returns the part of a stored event the hash covers.
func Recorded(rec domain.RecordedEvent) Event {
	return Event{Stream: rec.Stream, ID: rec.ID, Type: rec.Type, Data: rec.Data, Metadata: rec.Metadata}
}

// Hash returns the hash that links e to prev (Genesis for the first): the
// hex SHA-256 of the canonical form of ADR 40.
func Hash(prev string, e Event) string {
	sum := sha256.Sum256(Canonical(prev, e))
	return hex.EncodeToString(sum[:])
}

// Canonical returns the bytes the hash is taken over: each field as its
// length (4 bytes, big endian) and its bytes; the tag, prev, stream, id,
// type and data; then each covered metadata key that has a value, as a key
// field and a value field, in the order of covered.
func Canonical(prev string, e Event) []byte {
	md := covered(e.Metadata)
	size := 6*4 + len(formTag) + len(prev) + len(e.Stream) + len(e.ID) + len(e.Type) + len(e.Data)
	for _, kv := range md {
		size += 8 + len(kv[0]) + len(kv[1])
	}
	b := make([]byte, 0, size)
	for _, f := range [...]string{formTag, prev, e.Stream, e.ID, e.Type} {
		b = field(b, f)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Data)))
	b = append(b, e.Data...)
	for _, kv := range md {
		if kv[1] != "" {
			b = field(field(b, kv[0]), kv[1])
		}
	}
	return b
}

func field(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// covered lists the metadata keys the hash covers, in the order they are
// written (by name): those Parley sets when it appends and that neither a
// store nor a migration changes. Not covered: hash itself, and whatever a
// store adds (EventStoreDB's recordedAt, a store's recorded time). A key
// added later takes its place by name and, while empty, changes no hash.
func covered(md domain.Metadata) [7][2]string {
	return [7][2]string{
		{"actor.id", md.Actor.ID},
		{"actor.kind", string(md.Actor.Kind)},
		{"causationId", md.CausationID},
		{"connection", md.Connection},
		{"correlationId", md.CorrelationID},
		{"schemaVersion", strconv.Itoa(md.SchemaVersion)},
		{"traceId", md.TraceID},
	}
}
