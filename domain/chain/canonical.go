// Package chain makes every stream's history tamper-evident: each event's
// metadata carries a SHA-256 hash over the previous event's hash and the
// event itself (ADR 40), set by a store decorator on append and checked by
// Verify and Walker on the bytes as stored.
package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"sync"

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
// hex SHA-256 of the canonical form of ADR 40. The form is built in a
// pooled buffer: on the append path, a fresh one and a large stack frame
// showed as a tenth of the chain's cost.
func Hash(prev string, e Event) string {
	w := hashers.Get().(*hasher)
	defer hashers.Put(w)
	w.buf = appendCanonical(w.buf[:0], prev, e)
	w.h.Reset()
	w.h.Write(w.buf)
	return hex.EncodeToString(w.h.Sum(w.sum[:0]))
}

// Canonical returns the bytes the hash is taken over, for tests and for
// anyone checking the chain with other tools.
func Canonical(prev string, e Event) []byte {
	return appendCanonical(nil, prev, e)
}

// hasher is a SHA-256 with a buffer for the form and room for the sum.
type hasher struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

var hashers = sync.Pool{New: func() any { return &hasher{h: sha256.New()} }}

// appendCanonical appends the form to b: each field as its length (4
// bytes, big endian) and its bytes; the tag, prev, stream, id, type and
// data; then each covered metadata key that has a value, as a key field
// and a value field, in the order of coveredKeys.
func appendCanonical(b []byte, prev string, e Event) []byte {
	b = field(b, formTag)
	b = field(b, prev)
	b = field(b, e.Stream)
	b = field(b, e.ID)
	b = field(b, e.Type)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Data)))
	b = append(b, e.Data...)
	for _, key := range coveredKeys {
		if key == "schemaVersion" {
			// Always present, in decimal: written in place, not formatted
			// into a string first.
			b = field(b, key)
			at := len(b)
			b = strconv.AppendInt(append(b, 0, 0, 0, 0), int64(e.Metadata.SchemaVersion), 10)
			binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
			continue
		}
		if v := covered(&e.Metadata, key); v != "" {
			b = field(field(b, key), v)
		}
	}
	return b
}

func field(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// coveredKeys are the metadata keys the hash covers, in the order they are
// written (by name): those Parley sets when it appends and that neither a
// store nor a migration changes. Not covered: hash itself, and whatever a
// store adds (EventStoreDB's recordedAt, a store's recorded time). A key
// added later takes its place by name and, while empty, changes no hash.
var coveredKeys = [...]string{"actor.id", "actor.kind", "causationId", "connection", "correlationId", "keyId", "schemaVersion", "traceId"}

// covered returns the value of a key of coveredKeys in md (but
// schemaVersion, which appendCanonical writes itself). A key added to
// coveredKeys needs its case here.
func covered(md *domain.Metadata, key string) string {
	switch key {
	case "actor.id":
		return md.Actor.ID
	case "actor.kind":
		return string(md.Actor.Kind)
	case "causationId":
		return md.CausationID
	case "connection":
		return md.Connection
	case "correlationId":
		return md.CorrelationID
	case "keyId":
		return md.KeyID
	case "traceId":
		return md.TraceID
	}
	panic("chain: no value for covered key " + key)
}
