package transcriptfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Sync is the barrier: when it returns nil, every file whose Write returned
// before Sync was called is durable. It is not to be called by two
// goroutines at once. After an error nothing is known of those files
// (write-back may have failed and the kernel may have dropped the data):
// they must be written again before any checkpoint claims them.
func (s *Store) Sync() error {
	s.mu.Lock()
	paths := s.paths
	s.paths = nil
	d := s.syncfs
	s.mu.Unlock()
	if len(paths) == 0 {
		return nil // every file written so far is covered by an earlier barrier
	}
	if d != nil {
		err := syncfs(d)
		if !errors.Is(err, errNoSyncfs) {
			if err != nil {
				return fmt.Errorf("make transcripts durable: syncfs: %w", err)
			}
			return nil
		}
		s.Close()
	}
	return syncFiles(s.dir, paths)
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
func replaceFile(path string, data []byte) error {
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
