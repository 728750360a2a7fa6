package eventschemas

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/parley-chat/parley/domain"
)

var _ domain.EventStore = (*checked)(nil)

// checked is the EventStore that Checked returns.
type checked struct {
	inner domain.EventStore
	reg   *Registry
}

// Checked returns an EventStore that enforces the schemas of reg around
// inner.
//
// Append validates every event before anything reaches inner, so an append
// with one invalid event stores none of them. Each event must have a type
// with a schema and be written at that type's latest version, which is what
// domain.EncodeEvent produces; an old version on append means a writer that
// missed a schema change. The error, a *domain.Error with code
// domain.CodeSchema, names the event's index and id, and the failing field.
//
// Every read path (ReadStream, ReadAll, SubscribeToStream, SubscribeToAll)
// validates each event of a type with a schema against the version it was
// recorded with, then upcasts it to the latest version, rewriting Data and
// Metadata.SchemaVersion; readers therefore only ever see current shapes.
// An event that fails is an error (code domain.CodeInternal: the store, not
// the caller, is at fault; the schema violation is its cause) that ends the
// read or the subscription rather than being skipped or passed on: the
// conversation state and every projection are folds over the whole stream,
// so dropping one event would silently build state that history does not
// support (a join that never happened, a gap in the message sequence), and
// passing it on would let zero values stand in for fields that are not
// there. Stopping at that event keeps the fault visible, at a known
// position, until the stored data or an upcaster is fixed.
//
// Events whose type has no schema, written to the same store by other
// software, pass through reads untouched; so do routing events at their
// latest version, checked when appended (ADR 29). Ping and Close are passed through.
//
// Checked panics when inner or reg is nil: that is a wiring bug.
func Checked(inner domain.EventStore, reg *Registry) domain.EventStore {
	if inner == nil || reg == nil {
		panic("eventschemas.Checked: inner store and registry are required")
	}
	return &checked{inner: inner, reg: reg}
}

// Append implements domain.EventStore.
func (s *checked) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	for i, e := range events {
		if err := s.checkAppend(e); err != nil {
			return domain.AppendResult{}, wrap(err, fmt.Sprintf("append to %s: event %d (%s %s)", stream, i, e.Type, e.ID))
		}
	}
	return s.inner.Append(ctx, stream, expected, events)
}

func (s *checked) checkAppend(e domain.EventData) error {
	if latest := s.reg.Latest(e.Type); latest != 0 && e.Metadata.SchemaVersion != latest {
		return &domain.Error{Code: domain.CodeSchema, Message: fmt.Sprintf("new %s events are written at schema version %d, not %d", e.Type, latest, e.Metadata.SchemaVersion)}
	}
	return s.reg.Validate(e.Type, e.Metadata.SchemaVersion, e.Data)
}

// ReadStream implements domain.EventStore.
func (s *checked) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	recs, err := s.inner.ReadStream(ctx, stream, from, max)
	if err != nil {
		return nil, err
	}
	return s.checkRecorded(recs)
}

// ReadAll implements domain.EventStore.
func (s *checked) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
	recs, err := s.inner.ReadAll(ctx, after, max)
	if err != nil {
		return nil, err
	}
	return s.checkRecorded(recs)
}

// SubscribeToStream implements domain.EventStore.
func (s *checked) SubscribeToStream(ctx context.Context, stream string, from domain.Revision, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.inner.SubscribeToStream(ctx, stream, from, s.handler(h), opts)
}

// SubscribeToAll implements domain.EventStore.
func (s *checked) SubscribeToAll(ctx context.Context, after domain.After, filter domain.Filter, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.inner.SubscribeToAll(ctx, after, filter, s.handler(h), opts)
}

// Ping implements domain.EventStore.
func (s *checked) Ping(ctx context.Context) error { return s.inner.Ping(ctx) }

// Close implements domain.EventStore.
func (s *checked) Close() error { return s.inner.Close() }

func (s *checked) handler(h domain.Handler) domain.Handler {
	return func(ctx context.Context, rec domain.RecordedEvent) error {
		rec, _, err := s.checkOne(rec)
		if err != nil {
			return err
		}
		return h(ctx, rec)
	}
}

// checkRecorded checks and upcasts recs. The slice may share memory with the
// inner store (an in-memory store can hand out its own), so it is copied
// before the first rewrite rather than changed in place.
func (s *checked) checkRecorded(recs []domain.RecordedEvent) ([]domain.RecordedEvent, error) {
	out, copied := recs, false
	for i := range recs {
		rec, changed, err := s.checkOne(recs[i])
		if err != nil {
			return nil, err
		}
		if changed {
			if !copied {
				out, copied = slices.Clone(recs), true
			}
			out[i] = rec
		}
	}
	return out, nil
}

// checkOne validates a recorded event and upcasts it; changed reports
// whether rec was rewritten.
func (s *checked) checkOne(rec domain.RecordedEvent) (_ domain.RecordedEvent, changed bool, err error) {
	if !s.reg.known(rec.Type) {
		return rec, false, nil
	}
	version := rec.Metadata.SchemaVersion
	if trustedOnRead[rec.Type] && version == s.reg.Latest(rec.Type) {
		return rec, false, nil
	}
	if err := s.reg.Validate(rec.Type, version, rec.Data); err != nil {
		return rec, false, storedInvalid(wrap(err, readAt(rec)))
	}
	if version == s.reg.Latest(rec.Type) {
		return rec, false, nil
	}
	data, version, err := s.reg.Upcast(rec.Type, version, rec.Data)
	if err != nil {
		return rec, false, storedInvalid(wrap(err, readAt(rec)))
	}
	rec.Data = data
	rec.Metadata.SchemaVersion = version
	return rec, true, nil
}

// readAt says which stored event an error is about, precisely enough for an
// operator to find it.
func readAt(rec domain.RecordedEvent) string {
	return fmt.Sprintf("read %s %s at %s@%d (position %d)", rec.Type, rec.ID, rec.Stream, rec.Revision, rec.Position)
}

// wrap prefixes the message of a schema error with where it happened,
// keeping its code, field and cause.
// storedInvalid marks a stored event that fails its schema as the server's
// fault, not the caller's: clients see a generic internal error, operators
// the schema violation (kept as the cause) in the logs.
func storedInvalid(err error) error {
	return &domain.Error{Code: domain.CodeInternal, Message: "a stored event fails its schema", Err: err}
}

func wrap(err error, where string) error {
	var derr *domain.Error
	if !errors.As(err, &derr) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return &domain.Error{Code: derr.Code, Field: derr.Field, Message: where + ": " + derr.Message, Err: derr.Err}
}
