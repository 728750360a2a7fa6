package projections

import (
	"bufio"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
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

// snapshotHeader is the first line of a snapshot file; the state follows,
// Bytes long, with Checksum its CRC-32C, so that a torn or damaged file is
// refused instead of restoring a read model that the history never built.
type snapshotHeader struct {
	Format     string     `json:"format"`
	Checkpoint Checkpoint `json:"checkpoint"`
	Bytes      int        `json:"bytes"`
	Checksum   uint32     `json:"crc32c"`
}

// ErrSnapshotFormat is returned by Load for a snapshot written in another
// format, or of a state whose shape changed: the read model is folded from
// the history instead.
var ErrSnapshotFormat = errors.New("snapshot of another format")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes state with cp: in its own binary form when state is an
// encoding.BinaryMarshaler (a read model too large for JSON to load
// quickly), else as JSON.
func (f SnapshotFile) Save(cp Checkpoint, state any) error {
	var body []byte
	var err error
	if m, ok := state.(encoding.BinaryMarshaler); ok {
		body, err = m.MarshalBinary()
	} else {
		body, err = json.Marshal(state)
	}
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	head, err := json.Marshal(snapshotHeader{Format: snapshotFormat, Checkpoint: cp, Bytes: len(body), Checksum: crc32.Checksum(body, castagnoli)})
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o750); err != nil {
		return fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	tmp := f.Path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	defer out.Close()
	_, err = out.Write(append(head, '\n'))
	if err == nil {
		_, err = out.Write(body)
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

// snapshotFormat changes when the file's layout changes. v2 added the
// length and checksum of the state.
const snapshotFormat = "parley.snapshot.v2"

// Load reads the snapshot into state (an encoding.BinaryUnmarshaler when
// Save was given a BinaryMarshaler) and returns its checkpoint; ok is false
// when there is none. A snapshot of another format gives ErrSnapshotFormat;
// one whose length or checksum does not hold, or that does not decode,
// another error. Either way the caller folds the history instead.
func (f SnapshotFile) Load(state any) (cp Checkpoint, ok bool, err error) {
	in, err := os.Open(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, err
	}
	defer in.Close()
	r := bufio.NewReaderSize(in, 1<<20)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: no header: %w", f.Path, err)
	}
	var h snapshotHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: %w", f.Path, err)
	}
	if h.Format != snapshotFormat {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: format %q, not %q: %w", f.Path, h.Format, snapshotFormat, ErrSnapshotFormat)
	}
	if h.Bytes < 0 {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: negative length", f.Path)
	}
	body := make([]byte, h.Bytes)
	if _, err := io.ReadFull(r, body); err != nil {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: shorter than its header says: %w", f.Path, err)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: trailing data after the state", f.Path)
	}
	if crc32.Checksum(body, castagnoli) != h.Checksum {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: checksum mismatch", f.Path)
	}
	if u, isBinary := state.(encoding.BinaryUnmarshaler); isBinary {
		err = u.UnmarshalBinary(body)
	} else {
		err = json.Unmarshal(body, state)
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("snapshot %s: %w", f.Path, err)
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
