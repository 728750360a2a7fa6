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
// Reads trust what Parley wrote (ADR 32): an event at its type's latest
// schema version was checked when it was appended and is passed on
// untouched, without being checked again. An event at an older version
// (written by an older build) is validated against the version it was
// recorded with and upcast to the latest on every read path (ReadStream,
// ReadAll, SubscribeToStream, SubscribeToAll), rewriting Data and
// Metadata.SchemaVersion, so readers only ever see current shapes. An old
// event that fails, or one at a version this build does not know, is an
// error (code domain.CodeInternal: the store, not the caller, is at fault;
// the schema violation is its cause) that ends the read or the
// subscription rather than being skipped: state and projections are folds
// over the whole stream. Checking every stored event against its schema is
// the job of `parley store verify` and `parley migrate`
// (Registry.CheckRecorded, VerifyStore).
//
// Events whose type has no schema, written to the same store by other
// software, pass through reads untouched. Ping and Close are passed through.
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

// checkOne upcasts a recorded event written at an older schema version;
// changed reports whether rec was rewritten. Events at the latest version
// were checked on append and pass untouched.
func (s *checked) checkOne(rec domain.RecordedEvent) (_ domain.RecordedEvent, changed bool, err error) {
	if latest := s.reg.Latest(rec.Type); latest == 0 || rec.Metadata.SchemaVersion == latest {
		return rec, false, nil
	}
	return s.reg.upcastRecorded(rec)
}

// readAt says which stored event an error is about, precisely enough for an
// operator to find it.
func readAt(rec domain.RecordedEvent) string {
	return fmt.Sprintf("read %s %s at %s@%d (position %d)", rec.Type, rec.ID, rec.Stream, rec.Revision, rec.Position)
}

// storedInvalid marks a stored event that fails its schema as the server's
// fault, not the caller's: clients see a generic internal error, operators
// the schema violation (kept as the cause) in the logs.
func storedInvalid(err error) error {
	return &domain.Error{Code: domain.CodeInternal, Message: "a stored event fails its schema", Err: err}
}

// wrap prefixes the message of a schema error with where it happened,
// keeping its code, field and cause.
func wrap(err error, where string) error {
	var derr *domain.Error
	if !errors.As(err, &derr) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return &domain.Error{Code: derr.Code, Field: derr.Field, Message: where + ": " + derr.Message, Err: derr.Err}
}
