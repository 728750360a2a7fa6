package diskstore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// smallCheckpoints makes a store checkpoint its index every few KiB, so that
// tests exercise what a long log does with small ones.
var smallCheckpoints = diskstore.Options{IndexCheckpointBytes: 4 << 10}

// appendRound appends n one-event appends spread over streams, each at the
// stream's next revision, and returns the ids in order.
func appendRound(t *testing.T, s *diskstore.Store, streams, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		stream := fmt.Sprintf("conversation-%d", i%streams)
		e := event(t)
		if _, err := s.Append(t.Context(), stream, domain.Any(), []domain.EventData{e}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// allIDs reads the whole log in order and checks that positions run from 1
// without a gap and that each stream's revisions do too.
func allIDs(t *testing.T, s *diskstore.Store) []string {
	t.Helper()
	evs, err := s.ReadAll(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	revs := map[string]uint64{}
	ids := make([]string, len(evs))
	for i, e := range evs {
		if e.Position != domain.Position(i+1) || e.Revision != revs[e.Stream] {
			t.Fatalf("event %d: position %d revision %d of %s, want %d and %d", i, e.Position, e.Revision, e.Stream, i+1, revs[e.Stream])
		}
		revs[e.Stream]++
		ids[i] = e.ID
	}
	return ids
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s was never written", path)
}

// copyDir copies the files of an open store, as a crash would leave them:
// the log with its preallocated zeros, and the last checkpoint.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	for _, name := range []string{diskstore.LogFile, diskstore.IndexFile} {
		writeFile(t, filepath.Join(to, name), readFile(t, filepath.Join(from, name)))
	}
	return to
}

func TestIndexCheckpoint(t *testing.T) {
	tests := []struct {
		name string
		// given a directory holding a log and a checkpoint of part of it,
		// and the ids in the log
		given func(t *testing.T) (dir string, ids []string)
		// then Open logs this
		wantLog string
	}{
		{"closed store: the checkpoint covers the whole log", func(t *testing.T) (string, []string) {
			dir := t.TempDir()
			s := mustOpen(t, dir, smallCheckpoints)
			ids := appendRound(t, s, 7, 300)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return dir, ids
		}, "scannedRecords=0"},
		{"crash: the log after the last checkpoint is scanned", func(t *testing.T) (string, []string) {
			dir := t.TempDir()
			s := mustOpen(t, dir, smallCheckpoints)
			ids := appendRound(t, s, 7, 300)
			waitForFile(t, filepath.Join(dir, diskstore.IndexFile))
			return copyDir(t, dir), ids
		}, "index loaded from its checkpoint"},
		{"a checkpoint that fails its checksum is ignored", func(t *testing.T) (string, []string) {
			dir, ids := closedWithCheckpoint(t)
			idx := filepath.Join(dir, diskstore.IndexFile)
			b := readFile(t, idx)
			b[len(b)/2] ^= 1
			writeFile(t, idx, b)
			return dir, ids
		}, "ignoring a damaged or stale checkpoint"},
		{"a checkpoint of another log is ignored", func(t *testing.T) (string, []string) {
			dir, ids := closedWithCheckpoint(t)
			other, _ := closedWithCheckpoint(t)
			writeFile(t, filepath.Join(dir, diskstore.IndexFile), readFile(t, filepath.Join(other, diskstore.IndexFile)))
			return dir, ids
		}, "ignoring a damaged or stale checkpoint"},
		{"a checkpoint past the log's end is ignored", func(t *testing.T) (string, []string) {
			dir, _ := closedWithCheckpoint(t)
			log := filepath.Join(dir, diskstore.LogFile)
			if err := os.Truncate(log, fileSize(t, log)/2); err != nil {
				t.Fatal(err)
			}
			// Cut to half, the log ends in a torn record: the full scan
			// truncates it; what is left is what reads back.
			return dir, nil
		}, "past the log's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, ids := tt.given(t)
			var logs logBuffer
			opts := smallCheckpoints
			opts.Logger = logs.logger()
			s := mustOpen(t, dir, opts)
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("Open logged %q, want it to say %q", logs.String(), tt.wantLog)
			}
			got := allIDs(t, s)
			if ids != nil && !slices.Equal(got, ids) {
				t.Fatalf("read back %d events, want the %d appended, in order", len(got), len(ids))
			}
			// Then appends go on at the right positions and revisions, and
			// a reopen reads the same.
			more := appendRound(t, s, 9, 50)
			want := append(got, more...)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = mustOpen(t, dir, smallCheckpoints)
			if got := allIDs(t, s); !slices.Equal(got, want) {
				t.Fatalf("after reopening, read back %d events, want %d", len(got), len(want))
			}
		})
	}
}

func closedWithCheckpoint(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	s := mustOpen(t, dir, smallCheckpoints)
	ids := appendRound(t, s, 5, 200)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, ids
}

// TestDamageAfterCheckpointIsRefused: damage in the log after the last
// checkpoint is found as before (ADR 14), and repair drops the checkpoint.
func TestDamageAfterCheckpointIsRefused(t *testing.T) {
	// Given a checkpoint that covers the first 200 events
	dir, _ := closedWithCheckpoint(t)
	log := filepath.Join(dir, diskstore.LogFile)
	covered := fileSize(t, log)
	// and 100 more events that no checkpoint covers
	s := mustOpen(t, dir, diskstore.Options{IndexCheckpointBytes: 1 << 40})
	appendRound(t, s, 5, 100)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// when a bit flips in the middle of those
	b := readFile(t, log)
	b[covered+(int64(len(b))-covered)/2] ^= 0x10
	writeFile(t, log, b)
	// then Open refuses the log
	opts := smallCheckpoints
	opts.Logger = new(logBuffer).logger()
	_, err := diskstore.Open(dir, opts)
	var de *diskstore.DamageError
	if !errors.As(err, &de) {
		t.Fatalf("Open = %v, want a DamageError", err)
	}
	if de.Spans[0].Before == nil || de.Spans[0].Before.Position < 200 {
		t.Errorf("the damage's neighbour before it is %+v, want a record after the checkpoint's", de.Spans[0].Before)
	}
	// and repair removes the checkpoint, so the repaired log is scanned whole.
	if _, err := diskstore.Repair(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, diskstore.IndexFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after repair the checkpoint is still there (%v)", err)
	}
	s = mustOpen(t, dir, smallCheckpoints)
	if n := len(allIDs(t, s)); n != 300 {
		t.Errorf("after repair %d events read back, want 300 (one a placeholder)", n)
	}
}

// TestSmallLogGetsNoCheckpoint: a log below IndexCheckpointBytes is cheap to
// scan and gets no checkpoint, so a new store writes no second file.
func TestSmallLogGetsNoCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, diskstore.Options{})
	appendRound(t, s, 3, 20)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, diskstore.IndexFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a 20-event log got an index checkpoint (%v)", err)
	}
}
