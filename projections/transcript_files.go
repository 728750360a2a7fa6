package projections

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/parley-chat/parley/domain"
)

// checkpointFile names the file that holds the transcript projection's
// checkpoint, beside the shard directories.
const checkpointFile = "checkpoint.json"

// transcriptFiles keeps transcripts as <dir>/<shard>/<name>.json, where
// name is the conversation id when it is a safe file name and its hex
// encoding otherwise, and shard is the name's first two characters (a
// directory of millions of files is slow to list and back up).
type transcriptFiles struct{ dir string }

type checkpoint struct {
	Format   int             `json:"format"`
	Position domain.Position `json:"position"`
}

func (f transcriptFiles) path(id string) string {
	name := id
	if !safeName(id) {
		name = "x-" + hex.EncodeToString([]byte(id))
	}
	return filepath.Join(f.dir, name[:2], name+".json")
}

func safeName(id string) bool {
	if len(id) < 2 || len(id) > 200 || id[0] == '-' || strings.HasPrefix(id, "x-") {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (f transcriptFiles) load(id string) (*Transcript, error) {
	raw, err := os.ReadFile(f.path(id))
	if err != nil {
		return nil, err
	}
	var t Transcript
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("stored transcript of %s: %w", id, err)
	}
	return &t, nil
}

func (f transcriptFiles) store(t *Transcript) error {
	raw, err := RenderJSON(t)
	if err != nil {
		return err
	}
	p := f.path(t.ConversationID)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("store transcript: %w", err)
	}
	return writeFileAtomic(p, raw)
}

func (f transcriptFiles) loadCheckpoint() (domain.Position, error) {
	raw, err := os.ReadFile(filepath.Join(f.dir, checkpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("transcript checkpoint: %w", err)
	}
	var cp checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return 0, fmt.Errorf("transcript checkpoint %s: %w", filepath.Join(f.dir, checkpointFile), err)
	}
	if cp.Format != TranscriptFormat {
		return 0, nil // transcripts of another format: fold everything again
	}
	return cp.Position, nil
}

func (f transcriptFiles) storeCheckpoint(pos domain.Position) error {
	raw, _ := json.Marshal(checkpoint{Format: TranscriptFormat, Position: pos})
	return writeFileAtomic(filepath.Join(f.dir, checkpointFile), append(raw, '\n'))
}

// clear removes every transcript and the checkpoint, and nothing else that
// may share the directory.
func (f transcriptFiles) clear() error {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return fmt.Errorf("clear transcripts: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 2 || e.Name() == checkpointFile {
			if err := os.RemoveAll(filepath.Join(f.dir, e.Name())); err != nil {
				return fmt.Errorf("clear transcripts: %w", err)
			}
		}
	}
	return nil
}

// writeFileAtomic replaces path with data so that a reader or a crash sees
// the old file or the new one, never a part: it writes a temporary file in
// the same directory, fsyncs it, renames it over path and fsyncs the
// directory so the rename itself is durable.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o640); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
