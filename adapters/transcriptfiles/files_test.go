package transcriptfiles

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A transcript reads back as written, under a shard of its name; ids that
// are not safe file names are hex encoded; the checkpoint is absent until
// saved; Clear removes the transcripts and the checkpoint and nothing else.
func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Load("ab-1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of nothing: %v, want fs.ErrNotExist", err)
	}
	if cp, err := s.LoadCheckpoint(); cp != nil || err != nil {
		t.Errorf("LoadCheckpoint of nothing: %q, %v", cp, err)
	}
	for id, doc := range map[string]string{"ab-1": `{"a":1}`, "../etc": `{"b":2}`} {
		if err := s.Write(id, []byte(doc)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Load(id); err != nil || string(got) != doc {
			t.Errorf("Load(%q) = %q, %v; want %q", id, got, err, doc)
		}
	}
	if got := s.Path("../etc"); filepath.Dir(filepath.Dir(got)) != dir {
		t.Errorf("the file of an unsafe id is %s, outside %s's shards", got, dir)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint([]byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("cd-1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	if cp, _ := s.LoadCheckpoint(); cp != nil {
		t.Errorf("checkpoint %q after Clear", cp)
	}
	if _, err := s.Load("cd-1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a transcript after Clear: %v", err)
	}
	if raw, err := os.ReadFile(other); err != nil || !bytes.Equal(raw, []byte("x")) {
		t.Errorf("Clear touched a file that is not a transcript: %q, %v", raw, err)
	}
}

// The barrier of systems without syncfs fsyncs each file and directory; a
// file that is gone fails it.
func TestSyncFiles(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // the barrier falls back to fsyncs
	var paths []string
	for _, id := range []string{"ab-1", "ab-2", "cd-1"} {
		if err := s.Write(id, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, s.Path(id))
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := syncFiles(root, paths); err != nil {
		t.Fatal(err)
	}
	if err := syncFiles(root, append(paths, s.Path("ef-1"))); err == nil {
		t.Error("no error for a file that is not there")
	}
}
