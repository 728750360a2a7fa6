package esdb

import (
	"context"
	"errors"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/domain"
)

// Append appends events atomically under expected. Retries are idempotent
// as EventStoreDB makes them: the same ids at the revision they were first
// appended at (or with no_stream) store nothing and return the original
// result; with Any or StreamExists it holds while the node still remembers
// the ids (a bounded cache on the node).
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	if stream == "" {
		return domain.AppendResult{}, domain.FieldError(domain.CodeInvalid, "stream", "stream name is empty")
	}
	if len(events) == 0 {
		// EventStoreDB accepts an empty append but then may answer "no
		// stream", which an AppendResult cannot express.
		return domain.AppendResult{}, domain.FieldError(domain.CodeInvalid, "events", "nothing to append")
	}
	data, err := toEventData(events)
	if err != nil {
		return domain.AppendResult{}, err
	}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}
	res, err := call(ctx, s, func(ctx context.Context, c *esdb.Client) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, stream, opts, data...)
	})
	if err != nil {
		if code, ok := clientCode(err); ok && code == esdb.ErrorCodeWrongExpectedVersion {
			return domain.AppendResult{}, s.wrongVersion(ctx, stream, expected, err)
		}
		if isAppendCutShort(err) && ctx.Err() == nil {
			return domain.AppendResult{}, s.cutShort(ctx, stream, data, err)
		}
		return domain.AppendResult{}, mapError(ctx, "append to "+stream, err)
	}
	out := domain.AppendResult{NextRevision: res.NextExpectedVersion, Position: res.CommitPosition}
	if out.Position == 0 {
		// A node may answer an idempotent retry without a position when it
		// cannot look the event up at once; the event itself has one.
		evs, err := s.readStream(ctx, stream, esdb.ReadStreamOptions{From: esdb.Revision(out.NextRevision)}, 1)
		if err == nil && len(evs) == 1 {
			out.Position = evs[0].Position
		}
	}
	return out, nil
}

func toExpected(e domain.ExpectedRevision) esdb.ExpectedRevision {
	if r, ok := e.Exact(); ok {
		return esdb.Revision(r)
	}
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	return esdb.Any{}
}

// wrongVersion builds the domain error. The client exposes the actual
// revision only in its error text; when that cannot be parsed, the stream's
// tail is read instead (it may have moved on since, which is still a fair
// answer to "what is there now").
func (s *Store) wrongVersion(ctx context.Context, stream string, expected domain.ExpectedRevision, cause error) error {
	wev := &domain.WrongExpectedVersionError{Stream: stream, Expected: expected}
	if rev, noStream, ok := parseActual(cause); ok {
		wev.Actual, wev.ActualNoStream = rev, noStream
		return wev
	}
	tail, err := s.readStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	switch {
	case errors.Is(err, domain.ErrStreamNotFound) || (err == nil && len(tail) == 0):
		wev.ActualNoStream = true
	case err == nil:
		wev.Actual = tail[0].Revision
	default:
		s.log.Warn("eventstoredb: cannot read the actual revision after a conflict", "stream", stream, "err", err)
		wev.ActualNoStream = true
	}
	return wev
}
