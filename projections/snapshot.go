package projections

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parley-chat/parley/domain"
)

// Checkpoint names the last event a read model has folded: its position,
// and its stream, revision and id, so that a checkpoint taken on one store
// is known for a stranger on another (a migration to EventStoreDB keeps the
// events but not their positions).
type Checkpoint struct {
	After    domain.After    `json:"after"`
	Stream   string          `json:"stream"`
	Revision domain.Revision `json:"revision"`
	EventID  string          `json:"eventId"`
}

// CheckpointOf returns the checkpoint just after rec.
func CheckpointOf(rec domain.RecordedEvent) Checkpoint {
	return Checkpoint{After: domain.After(rec.Position), Stream: rec.Stream, Revision: rec.Revision, EventID: rec.ID}
}

// Holds reports whether store still holds the event cp names at its
// position. A checkpoint that does not hold must be dropped and the read
// model folded from the start: resuming after a position of another store
// would skip or repeat events.
func (cp Checkpoint) Holds(ctx context.Context, store domain.EventStore) (bool, error) {
	if cp.After == 0 {
		return true, nil
	}
	recs, err := store.ReadStream(ctx, cp.Stream, cp.Revision, 1)
	if errors.Is(err, domain.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(recs) == 1 && recs[0].ID == cp.EventID && domain.After(recs[0].Position) == cp.After, nil
}

// SnapshotFile keeps one read model's state, with the checkpoint it
// covers, in one file that is replaced whole (a synced temporary file
// renamed over it), so a crash leaves the old snapshot or the new one.
type SnapshotFile struct {
	Path string
}

// snapshotHeader is the first line of a snapshot file; the state follows.
type snapshotHeader struct {
	Format     string     `json:"format"`
	Checkpoint Checkpoint `json:"checkpoint"`
}

// Save writes state, as JSON, with cp.
func (f SnapshotFile) Save(cp Checkpoint, state any) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o750); err != nil {
		return fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	tmp := f.Path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 1<<20)
	enc := json.NewEncoder(w)
	err = enc.Encode(snapshotHeader{Format: snapshotFormat, Checkpoint: cp})
	if err == nil {
		err = enc.Encode(state)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = out.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, f.Path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(f.Path))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	return nil
}

// snapshotFormat changes when a read model's state changes shape; a
// snapshot of another format is ignored.
const snapshotFormat = "parley.snapshot.v1"

// Load reads the snapshot into state and returns its checkpoint; ok is
// false when there is none, or it is of another format.
func (f SnapshotFile) Load(state any) (cp Checkpoint, ok bool, err error) {
	in, err := os.Open(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, err
	}
	defer in.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(in, 1<<20))
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	if h.Format != snapshotFormat {
		return Checkpoint{}, false, nil
	}
	if err := dec.Decode(state); err != nil {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: trailing data after the state", f.Path)
	}
	return h.Checkpoint, true, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
