package projections

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

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

// A checkpoint is the position of the last event whose effects are
// durable; the projection resumes after it. Before the port read "after" a
// position, a checkpoint held the next position to read, under the key
// "position": such a file carries no "after" and is ignored (everything is
// folded again, which is harmless), so an old value one past an event never
// reaches EventStoreDB.
type checkpoint struct {
	Format int           `json:"format"`
	After  *domain.After `json:"after"`
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

// renderBuffers keeps the buffers that transcripts are rendered into on
// their way to a file: a rebuild renders thousands, of tens of KB each.
var renderBuffers = sync.Pool{New: func() any { return new([]byte) }}

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

// store writes t's file and makes it durable before it returns: the one
// transcript that Get or Build stores on request.
func (f transcriptFiles) store(t *Transcript) error {
	_, err := f.write(t, true)
	return err
}

// write writes t's file atomically (a reader, or what a crash leaves, is
// the whole old file or the whole new one, or for a file not made durable
// possibly an empty or unreadable one, which Get folds again) and returns
// its path. Unless durable, the file is left to a later fileSyncer barrier.
func (f transcriptFiles) write(t *Transcript, durable bool) (string, error) {
	buf := renderBuffers.Get().(*[]byte)
	defer renderBuffers.Put(buf)
	raw := AppendJSON((*buf)[:0], t)
	*buf = raw
	p := f.path(t.ConversationID)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", fmt.Errorf("store transcript: %w", err)
	}
	if durable {
		return p, writeFileAtomic(p, raw)
	}
	return p, replaceFile(p, raw)
}

func (f transcriptFiles) loadCheckpoint() (domain.After, error) {
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
	if cp.Format != TranscriptFormat || cp.After == nil {
		return 0, nil // transcripts of another format, or an old checkpoint: fold everything again
	}
	return *cp.After, nil
}

// storeCheckpoint makes after the checkpoint, durably. Callers make the
// transcripts it covers durable first.
func (f transcriptFiles) storeCheckpoint(after domain.After) error {
	raw, _ := json.Marshal(checkpoint{Format: TranscriptFormat, After: &after})
	return writeFileAtomic(filepath.Join(f.dir, checkpointFile), append(raw, '\n'))
}

// clear removes every transcript and the checkpoint, and nothing else that
// may share the directory. The checkpoint goes first, durably: a crash
// during clear or the rebuild that follows must not leave a checkpoint that
// claims transcripts which are gone.
func (f transcriptFiles) clear() error {
	if err := os.Remove(filepath.Join(f.dir, checkpointFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clear transcripts: %w", err)
	}
	if err := syncPath(f.dir); err != nil {
		return fmt.Errorf("clear transcripts: %w", err)
	}
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return fmt.Errorf("clear transcripts: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 2 {
			if err := os.RemoveAll(filepath.Join(f.dir, e.Name())); err != nil {
				return fmt.Errorf("clear transcripts: %w", err)
			}
		}
	}
	return nil
}

// fileSyncer makes the transcript files written without fsync durable in
// batches: one barrier covers every file written (renamed into place)
// before the barrier began. On Linux the barrier is a single syncfs of the
// file system holding the projection, instead of two fsyncs a file; the
// directory stays open from openSyncer to close because syncfs reports a
// write-back error (Linux 5.8 and later) only to descriptors that were open
// when it happened (older kernels report none, so there a failed
// write-back goes unnoticed). syncfs
// also writes out whatever else is dirty on that file system, so a barrier
// takes longer when other programs write there; Run makes at most about one
// a second. Elsewhere, or where syncfs is not implemented, the barrier
// fsyncs every file written since the previous one, then their directories.
type fileSyncer struct {
	root    string
	dir     *os.File                   // nil when the barrier falls back to fsyncs
	observe func(paths []string) error // tests only: sees each batch first, and may fail it

	mu    sync.Mutex
	paths []string // files written since the previous barrier
}

func openSyncer(root string, observe func(paths []string) error) (*fileSyncer, error) {
	s := &fileSyncer{root: root, observe: observe}
	if canSyncfs {
		d, err := os.Open(root)
		if err != nil {
			return nil, fmt.Errorf("transcripts: %w", err)
		}
		s.dir = d
	}
	return s, nil
}

// wrote records a file that the next barrier must make durable.
func (s *fileSyncer) wrote(path string) {
	s.mu.Lock()
	s.paths = append(s.paths, path)
	s.mu.Unlock()
}

// sync is the barrier: when it returns nil, every file whose wrote call
// returned before sync was called is durable. It is not to be called by
// two goroutines at once. After an error nothing is
// known of those files (write-back may have failed and the kernel may have
// dropped the data): they must be written again before any checkpoint
// claims them.
func (s *fileSyncer) sync() error {
	s.mu.Lock()
	paths := s.paths
	s.paths = nil
	s.mu.Unlock()
	if len(paths) == 0 {
		return nil // every file written so far is covered by an earlier barrier
	}
	if s.observe != nil {
		if err := s.observe(paths); err != nil {
			return err
		}
	}
	if s.dir != nil {
		err := syncfs(s.dir)
		if !errors.Is(err, errNoSyncfs) {
			if err != nil {
				return fmt.Errorf("make transcripts durable: syncfs: %w", err)
			}
			return nil
		}
		s.dir.Close()
		s.dir = nil
	}
	return syncFiles(s.root, paths)
}

func (s *fileSyncer) close() {
	if s.dir != nil {
		s.dir.Close()
	}
}

// syncFiles fsyncs each file, then each directory that holds one, then
// root (which holds the shard directories).
func syncFiles(root string, paths []string) error {
	dirs := map[string]bool{root: true}
	for _, p := range paths {
		if err := syncPath(p); err != nil {
			return fmt.Errorf("make transcripts durable: %w", err)
		}
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		if err := syncPath(d); err != nil {
			return fmt.Errorf("make transcripts durable: %w", err)
		}
	}
	return nil
}

// syncPath makes a file durable, or, for a directory, its entries (files
// created, renamed or removed in it).
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// replaceFile replaces path with data so that a reader sees the old file
// or the new one, never a part: it writes a temporary file in the same
// directory and renames it over path. Nothing is fsynced: after a crash the
// file may be missing, or present but empty, until a barrier has covered it.
func replaceFile(path string, data []byte) (err error) {
	return replace(path, data, false)
}

// writeFileAtomic is replaceFile made durable before it returns: the
// temporary file is fsynced before the rename, and the directory after it
// so the rename itself is durable.
func writeFileAtomic(path string, data []byte) error {
	return replace(path, data, true)
}

func replace(path string, data []byte, durable bool) (err error) {
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
	if durable {
		if err = tmp.Sync(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if durable {
		if err = syncPath(dir); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
