package esdbserver

import "math"

// expectKind is the kind of an append's expected stream revision.
type expectKind int

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectRevision
)

type expectation struct {
	kind     expectKind
	revision uint64 // for expectRevision
}

// appendOutcome is what an append decided. current is a revision, -1 for
// "no stream": on success the last revision of the write (or of the matched
// events for an idempotent retry), on failure the stream's actual last one.
type appendOutcome struct {
	ok       bool
	current  int64
	position uint64 // on success
}

func wrongVersion(cur int64) appendOutcome { return appendOutcome{current: cur} }

// append applies the commit checks of an EventStoreDB 24.10 node (expected
// version, then idempotency) and writes when they pass.
func (d *db) append(stream string, exp expectation, events []proposal) appendOutcome {
	d.mu.Lock()
	defer d.mu.Unlock()
	stored, exists := d.streams[stream]
	if !exists {
		// A brand-new stream gets no duplicate check at all.
		if exp.kind == expectAny || exp.kind == expectNoStream {
			return d.write(stream, -1, events)
		}
		return wrongVersion(-1)
	}
	cur := int64(len(stored)) - 1
	switch exp.kind {
	case expectAny:
		return d.checkRecentIDs(stream, stored, cur, events)
	case expectStreamExists:
		if cur < 0 {
			return wrongVersion(cur)
		}
		return d.checkRecentIDs(stream, stored, cur, events)
	}
	e := int64(-1)
	if exp.kind == expectRevision {
		if exp.revision > math.MaxInt64 {
			return wrongVersion(cur)
		}
		e = int64(exp.revision)
	}
	switch {
	case e < cur:
		return d.checkRetry(stored, e, cur, events)
	case e > cur:
		return wrongVersion(cur)
	}
	// Expected equals current: a normal write with no id check, so resending
	// the same ids with the new revision does store duplicates.
	return d.write(stream, cur, events)
}

// checkRecentIDs is the best-effort idempotency of "any" and
// "stream_exists": look the ids up among events committed to this stream.
func (d *db) checkRecentIDs(stream string, stored []*record, cur int64, events []proposal) appendOutcome {
	var last *record
	for i, p := range events {
		entry, found := d.ids.get(p.id)
		if !found || entry.stream != stream {
			if i == 0 {
				return d.write(stream, cur, events)
			}
			return wrongVersion(cur) // partly duplicated batch
		}
		last = stored[entry.revision]
	}
	if last == nil {
		return d.write(stream, cur, events) // no events: an empty write
	}
	return appendOutcome{ok: true, current: int64(last.revision), position: last.position}
}

// checkRetry compares a batch expected at revision e < cur with the events
// stored from e+1: all equal is an idempotent success, anything else fails.
func (d *db) checkRetry(stored []*record, e, cur int64, events []proposal) appendOutcome {
	if len(events) == 0 {
		return wrongVersion(cur)
	}
	n := e
	for _, p := range events {
		n++
		if n > cur || stored[n].id != p.id {
			return wrongVersion(cur)
		}
	}
	return appendOutcome{ok: true, current: n, position: stored[n].position}
}
