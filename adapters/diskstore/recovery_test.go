package diskstore_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// writeLog opens a store on a new directory, appends the batches to one
// stream, closes it and returns the directory and the log's path.
func writeLog(t *testing.T, opts diskstore.Options, batches ...[]domain.EventData) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	s := mustOpen(t, dir, opts)
	expected := domain.NoStream()
	for _, b := range batches {
		res, err := s.Append(t.Context(), "conversation-1", expected, b)
		if err != nil {
			t.Fatal(err)
		}
		expected = domain.Exact(res.NextRevision)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, diskstore.LogFile)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func streamIDs(t *testing.T, s *diskstore.Store) []string {
	t.Helper()
	evs, err := s.ReadStream(t.Context(), "conversation-1", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestTornTailIsTruncated(t *testing.T) {
	partial := append(binary.LittleEndian.AppendUint32(nil, 500), make([]byte, 100)...)
	zeros := make([]byte, 1<<20) // what the writer preallocates
	tails := map[string]struct {
		bytes []byte
		torn  bool // whether recovery must report dropped data
		// whole is set when the dropped bytes hold a whole record by its
		// length: a torn write into the zeros or a damaged last record,
		// which recovery cannot tell apart and reports as an error.
		whole bool
	}{
		"partial header":           {[]byte{0x40, 0x01}, true, false},
		"partial record":           {partial, true, false},
		"bad checksum":             {append(binary.LittleEndian.AppendUint32(nil, 60), make([]byte, 64)...), true, true},
		"preallocated zeros":       {zeros, false, false},
		"partial record in zeros":  {append(partial, zeros...), true, true},
		"zero header, data behind": {append(make([]byte, 300), partial...), true, false},
	}
	for name, tail := range tails {
		t.Run(name, func(t *testing.T) {
			evs := benchEvents(3)
			dir, log := writeLog(t, diskstore.Options{}, evs)
			whole := fileSize(t, log)
			f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(tail.bytes); err != nil {
				t.Fatal(err)
			}
			_ = f.Close()

			var logs logBuffer
			s := mustOpen(t, dir, diskstore.Options{Logger: logs.logger()})
			if got := fileSize(t, log); got != whole {
				t.Errorf("log is %d bytes after recovery, want %d", got, whole)
			}
			warned := strings.Contains(logs.String(), "level=WARN msg=\"diskstore: truncating torn tail")
			erred := strings.Contains(logs.String(), "level=ERROR msg=\"diskstore: dropped the last record")
			if warned != (tail.torn && !tail.whole) || erred != tail.whole {
				t.Errorf("recovery reported a torn tail as a warning: %v, as an error: %v; want %v, %v; log: %s",
					warned, erred, tail.torn && !tail.whole, tail.whole, logs.String())
			}
			if got := streamIDs(t, s); !slices.Equal(got, ids(evs)) {
				t.Errorf("stream after recovery = %v, want %v", got, ids(evs))
			}
			res, err := s.Append(t.Context(), "conversation-1", domain.Exact(2), benchEvents(1))
			if err != nil || res.Position != 4 {
				t.Errorf("append after recovery = %+v, %v; want position 4", res, err)
			}
		})
	}
}

// TestTornAppendIsDroppedWhole cuts the log inside the last of three events
// written by one Append: recovery must drop all three, not keep two.
func TestTornAppendIsDroppedWhole(t *testing.T) {
	first := benchEvents(1)
	dir, log := writeLog(t, diskstore.Options{}, first, benchEvents(3))
	if err := os.Truncate(log, fileSize(t, log)-10); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, dir, diskstore.Options{})
	if got := streamIDs(t, s); !slices.Equal(got, ids(first)) {
		t.Fatalf("stream after recovery = %v, want only the first append %v", got, ids(first))
	}
	if _, err := s.Append(t.Context(), "conversation-1", domain.Exact(0), benchEvents(2)); err != nil {
		t.Fatalf("append after recovery: %v", err)
	}
}

// TestDamageBeforeTheTailIsRefused flips a byte with intact records after
// it: no crash leaves that, so Open must refuse instead of truncating away
// acknowledged events.
func TestDamageBeforeTheTailIsRefused(t *testing.T) {
	opts := diskstore.Options{MaxGroupBytes: 1024, MaxAppendBytes: 1024}
	var batches [][]domain.EventData
	for range 50 {
		batches = append(batches, benchEvents(1))
	}
	dir, log := writeLog(t, opts, batches...)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	b[100] ^= 0xff
	if err := os.WriteFile(log, b, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = diskstore.Open(dir, opts)
	var damage *diskstore.DamageError
	if !errors.As(err, &damage) || damage.Spans[0].ValidAfter != 49 {
		t.Fatalf("Open of a log damaged at offset 100 of %d: err = %v, want a DamageError with 49 records after", len(b), err)
	}
	if got := fileSize(t, log); got != int64(len(b)) {
		t.Errorf("refused log was changed: %d bytes, want %d", got, len(b))
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	evs := benchEvents(5)
	dir, _ := writeLog(t, diskstore.Options{}, evs[:2], evs[2:])
	s := mustOpen(t, dir, diskstore.Options{})
	if got := streamIDs(t, s); !slices.Equal(got, ids(evs)) {
		t.Fatalf("stream after reopen = %v, want %v", got, ids(evs))
	}
	all, err := s.ReadAll(t.Context(), 0, 100)
	if err != nil || len(all) != 5 || all[4].Position != 5 || all[4].Revision != 4 {
		t.Fatalf("ReadAll after reopen = %d events, %v", len(all), err)
	}
}

func TestNotALog(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, diskstore.LogFile), []byte("hello, world"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := diskstore.Open(dir, diskstore.Options{}); err == nil || !strings.Contains(err.Error(), "not a Parley event log") {
		t.Fatalf("Open over a foreign file: err = %v", err)
	}
}

func ids(evs []domain.EventData) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// TestLongGarbageTailIsRefusedThenRepaired puts more bytes after the last
// record than one unsynced group commit can span, with nothing intact in
// them: Open refuses and points to repair, which moves them to quarantine.
func TestLongGarbageTailIsRefusedThenRepaired(t *testing.T) {
	opts := diskstore.Options{MaxGroupBytes: 1024, MaxAppendBytes: 1024}
	evs := benchEvents(3)
	dir, log := writeLog(t, opts, evs[:1], evs[1:2], evs[2:])
	whole := readFile(t, log)
	garbage := bytes.Repeat([]byte{0xa5}, 4096)
	writeFile(t, log, append(append([]byte(nil), whole...), garbage...))

	if _, err := diskstore.Open(dir, opts); err == nil || !strings.Contains(err.Error(), "parley store repair --data-dir "+dir) {
		t.Fatalf("Open with a garbage tail: err = %v, want a refusal that points to repair", err)
	}
	rep, err := diskstore.Repair(dir)
	if err != nil || rep.TailBytes != int64(len(garbage)) {
		t.Fatalf("Repair = %+v, %v; want the %d tail bytes quarantined", rep, err, len(garbage))
	}
	if got := readFile(t, filepath.Join(dir, rep.Quarantine)); !bytes.Equal(got, garbage) {
		t.Errorf("quarantine holds %d bytes, want the tail's %d", len(got), len(garbage))
	}
	if got := readFile(t, log); !bytes.Equal(got, whole) {
		t.Errorf("repaired log is %d bytes, want the %d before the tail", len(got), len(whole))
	}
	s := mustOpen(t, dir, opts)
	if got := streamIDs(t, s); !slices.Equal(got, ids(evs)) {
		t.Fatalf("stream after repair = %v, want %v", got, ids(evs))
	}
}
