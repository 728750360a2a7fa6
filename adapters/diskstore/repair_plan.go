package diskstore

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// Placeholder is the event a repair writes in place of one lost record.
type Placeholder struct {
	// Position is the lost record's global position.
	Position domain.Position
	// Stream and Revision place the placeholder. StreamKnown says they are
	// the lost record's own, told from the revisions missing between its
	// neighbours; otherwise Stream is the repair's own lost-in-repair
	// stream.
	Stream      string
	Revision    domain.Revision
	StreamKnown bool
	// Span is the index of the damaged span the record was lost in.
	Span int
}

// planPlaceholders gives every position lost in a damaged span a stream and
// revision. A revision missing from a stream between two of its intact
// records lies in a span between them: it takes the first free position
// there, in revision order, so each stream's revisions keep rising with
// their positions. Positions left over (a stream's last revisions, or a
// whole stream, lost) go to lostStream in position order. recs are the
// intact records in log order.
func planPlaceholders(recs []RecordRef, spans []DamagedSpan, lostStream string) ([]Placeholder, error) {
	var out []Placeholder
	for i, d := range spans {
		if d.Before != nil && d.After.Position <= d.Before.Position {
			return nil, fmt.Errorf("the records around offset %d are out of order (position %d after %d)",
				d.Offset, d.After.Position, d.Before.Position)
		}
		from := d.After.Position - d.LostPositions()
		for p := from; p < d.After.Position; p++ {
			out = append(out, Placeholder{Position: p, Span: i})
		}
	}
	byStream := map[string][]RecordRef{}
	var order []string
	for _, r := range recs {
		if _, ok := byStream[r.Stream]; !ok {
			order = append(order, r.Stream)
		}
		byStream[r.Stream] = append(byStream[r.Stream], r)
	}
	for _, stream := range order {
		var next domain.Revision
		var prev domain.Position
		for _, r := range byStream[stream] {
			if r.Revision < next {
				return nil, fmt.Errorf("stream %q has revision %d twice or out of order (position %d)",
					stream, r.Revision, r.Position)
			}
			for rev := next; rev < r.Revision; rev++ {
				i := freeSlot(out, prev, r.Position)
				if i < 0 {
					return nil, fmt.Errorf("stream %q lacks revision %d between positions %d and %d, "+
						"but no damaged span there lost a record", stream, rev, prev, r.Position)
				}
				out[i].Stream, out[i].Revision, out[i].StreamKnown = stream, rev, true
				prev = out[i].Position
			}
			next, prev = r.Revision+1, r.Position
		}
	}
	var lostRev domain.Revision
	for i := range out {
		if !out[i].StreamKnown {
			out[i].Stream, out[i].Revision = lostStream, lostRev
			lostRev++
		}
	}
	return out, nil
}

// freeSlot returns the index of the first placeholder with no stream yet
// whose position lies strictly between after and before, or -1.
func freeSlot(out []Placeholder, after, before domain.Position) int {
	for i, p := range out {
		if p.Position > after && p.Position < before && !p.StreamKnown {
			return i
		}
	}
	return -1
}

// placeholderFrame encodes p as a committed record. Its id is derived from
// the repair and the position, and its time is its older neighbour's, so a
// repair run again writes the same bytes.
func placeholderFrame(dst []byte, p Placeholder, d DamagedSpan, quarantine string) ([]byte, error) {
	data, err := json.Marshal(domain.LostInRepair{
		Position: p.Position, StreamKnown: p.StreamKnown, Quarantine: quarantine,
		DamagedOffset: d.Offset, DamagedBytes: d.End - d.Offset,
	})
	if err != nil {
		return nil, err
	}
	meta, err := storedjson.AppendMetadata(nil, domain.Metadata{SchemaVersion: domain.SchemaVersions[domain.EventLostInRepair]})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", quarantine, p.Position))
	var id [16]byte
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 0x80 // UUID version 8: custom
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	recorded := d.After.Recorded
	if d.Before != nil {
		recorded = d.Before.Recorded
	}
	start := len(dst)
	dst = appendFrame(dst, id, p.Stream, domain.EventLostInRepair, meta, data)
	seal(dst[start:], flagCommit, p.Position, p.Revision, recorded.UnixNano())
	return dst, nil
}
