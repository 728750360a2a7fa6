package diskstore

import (
	"github.com/parley-chat/parley/domain"
)

// decide checks an append's expected revision against the stream as the
// group sees it and applies EventStoreDB's idempotency rules. It returns
// write == true when the events are to be appended; otherwise res or err is
// the answer (an idempotent retry or a wrong expected version).
//
// Idempotency follows EventStoreDB: with an exact revision E (no_stream
// counts as E = -1) below the stream's last revision, the events are
// compared with the stored ones from E+1: all equal is a retry, anything
// else is a conflict. With E equal to the last revision, ids are not
// checked. With any or stream_exists, a batch equal to the stream's last
// events is a retry, and a batch whose first id is among them but is not
// equal to them is a conflict; EventStoreDB looks further back through a
// cache of recent ids, this store looks at the tail only, as the port says.
func (s *Store) decide(ps *pendingStream, req *appendReq) (res domain.AppendResult, write bool, err error) {
	n := ps.base + uint64(len(ps.ids)) // events in the stream
	if n == 0 {
		// A stream never written to has nothing to compare with.
		if req.expected.IsAny() || req.expected.IsNoStream() {
			return res, true, nil
		}
		return res, false, s.wrongVersion(req, n)
	}
	if req.expected.IsAny() || req.expected.IsStreamExists() {
		return s.tailRetry(ps, req, n)
	}
	from := uint64(0) // first revision a no_stream retry compares with
	if e, ok := req.expected.Exact(); ok {
		switch {
		case e == n-1:
			return res, true, nil
		case e > n-1:
			return res, false, s.wrongVersion(req, n)
		}
		from = e + 1
	}
	return s.retryAt(ps, req, n, from)
}

// retryAt answers an append whose events must equal the stored ones from
// revision from on.
func (s *Store) retryAt(ps *pendingStream, req *appendReq, n, from uint64) (domain.AppendResult, bool, error) {
	for i, ev := range req.evs {
		rev := from + uint64(i)
		if rev >= n {
			return domain.AppendResult{}, false, s.wrongVersion(req, n)
		}
		stored, err := s.idAt(ps, req.stream, rev)
		if err != nil {
			return domain.AppendResult{}, false, err
		}
		if stored != ev.id {
			return domain.AppendResult{}, false, s.wrongVersion(req, n)
		}
	}
	last := from + uint64(len(req.evs)) - 1
	return domain.AppendResult{NextRevision: last, Position: s.positionAt(ps, req.stream, last)}, false, nil
}

// tailRetry answers an any or stream_exists append to an existing stream.
func (s *Store) tailRetry(ps *pendingStream, req *appendReq, n uint64) (domain.AppendResult, bool, error) {
	k := uint64(len(req.evs))
	start := uint64(0)
	if n > k {
		start = n - k
	}
	for rev := start; rev < n; rev++ {
		stored, err := s.idAt(ps, req.stream, rev)
		if err != nil {
			return domain.AppendResult{}, false, err
		}
		if stored == req.evs[0].id {
			return s.retryAt(ps, req, n, rev)
		}
	}
	return domain.AppendResult{}, true, nil
}

func (s *Store) wrongVersion(req *appendReq, n uint64) error {
	e := &domain.WrongExpectedVersionError{Stream: req.stream, Expected: req.expected, ActualNoStream: n == 0}
	if n > 0 {
		e.Actual = n - 1
	}
	return e
}

// idAt returns the id of revision rev of a stream, from the group when the
// event is not committed yet, else from the cache or the log.
func (s *Store) idAt(ps *pendingStream, stream string, rev domain.Revision) (string, error) {
	if rev >= ps.base {
		return ps.ids[rev-ps.base], nil
	}
	pos := s.idx.positionAt(stream, rev)
	if id, ok := s.cache.id(pos); ok {
		return id, nil
	}
	e, err := s.readOne(pos)
	if err != nil {
		return "", err
	}
	return e.ID, nil
}

func (s *Store) positionAt(ps *pendingStream, stream string, rev domain.Revision) domain.Position {
	if rev >= ps.base {
		return ps.positions[rev-ps.base]
	}
	return s.idx.positionAt(stream, rev)
}
