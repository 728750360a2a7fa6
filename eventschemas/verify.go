package eventschemas

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/domain"
)

// CheckRecorded checks a stored event against the schema of the version it
// was recorded with and, for an older version, checks that it upcasts to
// the latest. Events of types without a schema pass. Reads do not check
// events at their latest version (ADR 32): this is the check that `parley
// store verify` and `parley migrate` run over a whole store. The error is an
// internal error naming the event, with the schema violation as its cause.
func (r *Registry) CheckRecorded(rec domain.RecordedEvent) error {
	_, _, err := r.upcastRecorded(rec)
	return err
}

// upcastRecorded validates rec at its recorded version and lifts it to the
// latest; changed reports whether rec was rewritten.
func (r *Registry) upcastRecorded(rec domain.RecordedEvent) (_ domain.RecordedEvent, changed bool, err error) {
	if !r.known(rec.Type) {
		return rec, false, nil
	}
	version := rec.Metadata.SchemaVersion
	if err := r.Validate(rec.Type, version, rec.Data); err != nil {
		return rec, false, storedInvalid(wrap(err, readAt(rec)))
	}
	if version == r.Latest(rec.Type) {
		return rec, false, nil
	}
	data, version, err := r.Upcast(rec.Type, version, rec.Data)
	if err != nil {
		return rec, false, storedInvalid(wrap(err, readAt(rec)))
	}
	rec.Data = data
	rec.Metadata.SchemaVersion = version
	return rec, true, nil
}

// StoreReport is what VerifyStore found.
type StoreReport struct {
	// Events is how many events were read; Invalid how many of them fail
	// their schema.
	Events, Invalid int
	// First holds the errors of the first invalid events, at most
	// maxReported, in the store's global order.
	First []error
}

// maxReported bounds StoreReport.First: a store whose every event fails
// would otherwise fill the report, and the first few name the problem.
const maxReported = 20

// verifyPage is how many events VerifyStore reads at once.
const verifyPage = 1000

// VerifyStore reads every event of store, the raw store rather than a
// Checked one, in its global order and checks each with CheckRecorded.
// An error is returned only when the store cannot be read.
func VerifyStore(ctx context.Context, store domain.EventStore, reg *Registry) (StoreReport, error) {
	var rep StoreReport
	var after domain.After
	for {
		page, err := store.ReadAll(ctx, after, verifyPage)
		if err != nil {
			return rep, fmt.Errorf("read all events after position %d: %w", after, err)
		}
		for _, rec := range page {
			rep.Events++
			if err := reg.CheckRecorded(rec); err != nil {
				rep.Invalid++
				if len(rep.First) < maxReported {
					rep.First = append(rep.First, err)
				}
			}
		}
		if len(page) < verifyPage {
			return rep, nil
		}
		after = domain.After(page[len(page)-1].Position)
	}
}
