package storedjson

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/parley-chat/parley/domain"
)

// The embedded store keeps each record's metadata as the JSON that
// encoding/json writes for domain.Metadata. Decoding it with encoding/json
// was 40% of the CPU of replaying the log into the projections, and
// encoding it a tenth of an append's, so both go through a fast path for
// the form the store itself writes: the known keys (the actor an object of
// two), integers, and strings of printable ASCII without quotes,
// backslashes or the characters encoding/json escapes. Anything else (a
// record written by an older version, a string with non-ASCII text) takes
// encoding/json, so the bytes and values are exactly those encoding/json
// gives; TestMetadataCodecMatchesEncodingJSON and FuzzParseMetadata hold
// the fast path to that.

// AppendMetadata appends the JSON of md to dst, as json.Marshal(md) writes it.
func AppendMetadata(dst []byte, md domain.Metadata) ([]byte, error) {
	if !plainString(md.CorrelationID) || !plainString(md.CausationID) || !plainString(md.Connection) || !plainString(md.TraceID) ||
		!plainString(string(md.Actor.Kind)) || !plainString(md.Actor.ID) || !plainString(md.Hash) || !plainString(md.KeyID) {
		raw, err := json.Marshal(md)
		return append(dst, raw...), err
	}
	dst = append(dst, '{')
	if md.CorrelationID != "" {
		dst = append(dst, `"correlationId":"`...)
		dst = append(dst, md.CorrelationID...)
		dst = append(dst, `",`...)
	}
	if md.CausationID != "" {
		dst = append(dst, `"causationId":"`...)
		dst = append(dst, md.CausationID...)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"schemaVersion":`...)
	dst = strconv.AppendInt(dst, int64(md.SchemaVersion), 10)
	if md.Connection != "" {
		dst = append(dst, `,"connection":"`...)
		dst = append(dst, md.Connection...)
		dst = append(dst, '"')
	}
	if md.TraceID != "" {
		dst = append(dst, `,"traceId":"`...)
		dst = append(dst, md.TraceID...)
		dst = append(dst, '"')
	}
	if md.KeyID != "" {
		dst = append(dst, `,"keyId":"`...)
		dst = append(dst, md.KeyID...)
		dst = append(dst, '"')
	}
	if !md.Actor.IsZero() {
		dst = append(dst, `,"actor":{"kind":"`...)
		dst = append(dst, md.Actor.Kind...)
		dst = append(dst, `","id":"`...)
		dst = append(dst, md.Actor.ID...)
		dst = append(dst, `"}`...)
	}
	if md.Hash != "" {
		dst = append(dst, `,"hash":"`...)
		dst = append(dst, md.Hash...)
		dst = append(dst, '"')
	}
	return append(dst, '}'), nil
}

// MetadataSize is the most AppendMetadata writes for md in the plain form:
// its strings and the fixed part (keys, punctuation, the longest int).
func MetadataSize(md domain.Metadata) int {
	return 150 + len(md.CorrelationID) + len(md.CausationID) + len(md.Connection) + len(md.TraceID) +
		len(md.Actor.Kind) + len(md.Actor.ID) + len(md.Hash) + 11 + len(md.KeyID)
}

// plainString reports whether encoding/json writes s between quotes as it
// is: printable ASCII other than the quote, the backslash and the HTML
// characters it escapes.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			return false
		}
	}
	return true
}

func plainByte(c byte) bool {
	return 0x20 <= c && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

// ParseMetadata decodes metadata JSON as json.Unmarshal does.
func ParseMetadata(b []byte) (domain.Metadata, error) {
	if md, ok := parseMetadataFast(b); ok {
		return md, nil
	}
	var md domain.Metadata
	err := json.Unmarshal(b, &md)
	return md, err
}

// parseMetadataFast decodes the form AppendMetadata writes, in any key
// order, and reports false for anything else.
func parseMetadataFast(b []byte) (md domain.Metadata, ok bool) {
	if len(b) < 2 || b[0] != '{' {
		return md, false
	}
	i := 1
	if b[i] == '}' {
		return md, len(b) == 2
	}
	for {
		key, next, ok := plainLiteral(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return md, false
		}
		i = next + 1
		if bytes.Equal(key, []byte("schemaVersion")) {
			start := i
			for i < len(b) && '0' <= b[i] && b[i] <= '9' {
				i++
			}
			// Up to 9 digits, without a leading zero unless it is 0 alone:
			// the integers encoding/json writes and reads the same way.
			if i == start || i-start > 9 || b[start] == '0' && i-start > 1 {
				return md, false
			}
			md.SchemaVersion = 0
			for _, c := range b[start:i] {
				md.SchemaVersion = md.SchemaVersion*10 + int(c-'0')
			}
		} else if bytes.Equal(key, []byte("actor")) {
			if i, ok = parseActorFast(b, i, &md.Actor); !ok {
				return md, false
			}
		} else {
			value, next, ok := plainLiteral(b, i)
			if !ok {
				return md, false
			}
			i = next
			switch string(key) {
			case "correlationId":
				md.CorrelationID = string(value)
			case "causationId":
				md.CausationID = string(value)
			case "connection":
				md.Connection = string(value)
			case "traceId":
				md.TraceID = string(value)
			case "keyId":
				md.KeyID = string(value)
			case "hash":
				md.Hash = string(value)
			default:
				return md, false
			}
		}
		if i >= len(b) {
			return md, false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return md, i == len(b)-1
		default:
			return md, false
		}
	}
}

// parseActorFast reads the actor object at b[i] into a, as encoding/json
// would (a repeated key overwrites, a repeated "actor" merges into the
// value already read), and returns the index after it.
func parseActorFast(b []byte, i int, a *domain.Actor) (next int, ok bool) {
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	i++
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		key, next, ok := plainLiteral(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return i, false
		}
		value, next, ok := plainLiteral(b, next+1)
		if !ok || next >= len(b) {
			return i, false
		}
		switch string(key) {
		case "kind":
			a.Kind = actorKind(value)
		case "id":
			a.ID = string(value)
		default:
			return i, false
		}
		switch b[next] {
		case ',':
			i = next + 1
		case '}':
			return next + 1, true
		default:
			return i, false
		}
	}
}

// actorKind returns the kind named by b, without allocating for the kinds
// Parley writes: every event read carries one.
func actorKind(b []byte) domain.ActorKind {
	for _, k := range [...]domain.ActorKind{domain.ActorCustomer, domain.ActorStaff, domain.ActorConnector, domain.ActorSender, domain.ActorSystem} {
		if string(b) == string(k) {
			return k
		}
	}
	return domain.ActorKind(b)
}

// plainLiteral reads a string literal of plain bytes at b[i] and returns
// its contents and the index after it.
func plainLiteral(b []byte, i int) (value []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		if b[j] == '"' {
			return b[i+1 : j], j + 1, true
		}
		if !plainByte(b[j]) {
			return nil, j, false
		}
	}
	return nil, len(b), false
}
