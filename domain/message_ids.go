package domain

// MessageIDs maps the id of every stored message of a conversation to its
// sequence. It is kept for every message of every cached conversation, so
// its size per message matters: an id in the canonical lower-case UUID form
// (every id Parley makes, and what clients send) is kept as its 16 bytes,
// about a third of what the string and its map entry cost; any other id,
// as the string. Only the exact same string finds an id again, as with a
// map of strings.
type MessageIDs struct {
	uuids map[[16]byte]Revision
	other map[string]Revision
}

func newMessageIDs() MessageIDs {
	return MessageIDs{uuids: map[[16]byte]Revision{}, other: map[string]Revision{}}
}

// Get returns the sequence of the message with id, and whether there is one.
func (m MessageIDs) Get(id string) (Revision, bool) {
	if u, ok := canonicalUUID(id); ok {
		seq, ok := m.uuids[u]
		return seq, ok
	}
	seq, ok := m.other[id]
	return seq, ok
}

// Len returns how many message ids are kept.
func (m MessageIDs) Len() int { return len(m.uuids) + len(m.other) }

func (m MessageIDs) add(id string, seq Revision) {
	if u, ok := canonicalUUID(id); ok {
		m.uuids[u] = seq
		return
	}
	m.other[id] = seq
}

// canonicalUUID returns the 16 bytes of id when id is a UUID in the form
// FormatUUID gives (lower-case hex, hyphens at 8, 13, 18 and 23), so that
// the bytes stand for exactly one string.
func canonicalUUID(id string) (u [16]byte, ok bool) {
	if len(id) != 36 {
		return u, false
	}
	// Each group has an even number of digits, so no pair straddles a hyphen.
	for i, j := 0, 0; i < len(id); {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if id[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, okHi := lowerHex(id[i])
		lo, okLo := lowerHex(id[i+1])
		if !okHi || !okLo {
			return u, false
		}
		u[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return u, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
