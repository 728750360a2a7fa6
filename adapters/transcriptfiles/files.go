// Package transcriptfiles keeps the transcript projection's documents as
// files under a directory of their own: one file per conversation and a
// checkpoint, each replaced atomically, made durable one at a time on
// request or in batches by one barrier (a syncfs of the file system on
// Linux, fsyncs elsewhere).
package transcriptfiles

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// checkpointFile names the file that holds the checkpoint, beside the
// shard directories.
const checkpointFile = "checkpoint.json"

// Store keeps transcripts as <dir>/<shard>/<name>.json, where name is the
// conversation id when it is a safe file name and its hex encoding
// otherwise, and shard is the name's first two characters (a directory of
// millions of files is slow to list and back up).
//
// On Linux the barrier is a single syncfs of the file system holding the
// directory, instead of two fsyncs a file; the directory stays open from
// Open to Close because syncfs reports a write-back error (Linux 5.8 and
// later) only to descriptors that were open when it happened (older
// kernels report none, so there a failed write-back goes unnoticed).
// syncfs also writes out whatever else is dirty on that file system, so a
// barrier takes longer when other programs write there. Elsewhere, where
// syncfs is not implemented, or after Close, the barrier fsyncs every file
// written since the previous one, then their directories.
type Store struct {
	dir string

	mu     sync.Mutex
	syncfs *os.File // nil when the barrier falls back to fsyncs
	paths  []string // files written since the previous barrier
}

// Open returns the store kept in dir, creating dir when needed.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("transcripts: %w", err)
	}
	s := &Store{dir: dir}
	if canSyncfs {
		d, err := os.Open(dir)
		if err != nil {
			return nil, fmt.Errorf("transcripts: %w", err)
		}
		s.syncfs = d
	}
	return s, nil
}

// Close releases the directory held open for the barrier. The store still
// works after it, with fsyncs as its barrier.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.syncfs == nil {
		return nil
	}
	err := s.syncfs.Close()
	s.syncfs = nil
	return err
}

// Path is the file that holds the transcript of conversation id.
func (s *Store) Path(id string) string {
	name := id
	if !safeName(id) {
		name = "x-" + hex.EncodeToString([]byte(id))
	}
	return filepath.Join(s.dir, name[:2], name+".json")
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

// Load returns the transcript stored for conversation id; an error that
// matches fs.ErrNotExist when there is none.
func (s *Store) Load(id string) ([]byte, error) {
	return os.ReadFile(s.Path(id))
}

// Save stores doc as the transcript of conversation id, durably before it
// returns.
func (s *Store) Save(id string, doc []byte) error {
	p, err := s.mkdir(id)
	if err != nil {
		return err
	}
	return writeFileAtomic(p, doc)
}

// Write stores doc as the transcript of conversation id atomically (a
// reader, or what a crash leaves, is the whole old file or the whole new
// one, or possibly an empty or unreadable one until a barrier covers it)
// but not durably: the next Sync makes it so. doc is not kept.
func (s *Store) Write(id string, doc []byte) error {
	p, err := s.mkdir(id)
	if err != nil {
		return err
	}
	if err := replaceFile(p, doc); err != nil {
		return err
	}
	s.mu.Lock()
	s.paths = append(s.paths, p)
	s.mu.Unlock()
	return nil
}

// mkdir makes the shard directory of id's file and returns the file.
func (s *Store) mkdir(id string) (string, error) {
	p := s.Path(id)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", fmt.Errorf("store transcript: %w", err)
	}
	return p, nil
}

// LoadCheckpoint returns the stored checkpoint, or nil when there is none.
func (s *Store) LoadCheckpoint() ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(s.dir, checkpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("transcript checkpoint: %w", err)
	}
	return raw, nil
}

// SaveCheckpoint stores doc as the checkpoint, durably.
func (s *Store) SaveCheckpoint(doc []byte) error {
	return writeFileAtomic(filepath.Join(s.dir, checkpointFile), doc)
}

// Clear removes every transcript and the checkpoint, and nothing else that
// may share the directory. The checkpoint goes first, durably: a crash
// during Clear or the rebuild that follows must not leave a checkpoint that
// claims transcripts which are gone.
func (s *Store) Clear() error {
	if err := os.Remove(filepath.Join(s.dir, checkpointFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clear transcripts: %w", err)
	}
	if err := syncPath(s.dir); err != nil {
		return fmt.Errorf("clear transcripts: %w", err)
	}
	// The files written before are gone: no barrier is to look for them.
	s.mu.Lock()
	s.paths = nil
	s.mu.Unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("clear transcripts: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 2 {
			if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
				return fmt.Errorf("clear transcripts: %w", err)
			}
		}
	}
	return nil
}
