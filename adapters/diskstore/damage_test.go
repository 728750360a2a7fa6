package diskstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// history is a log written by concurrent one-event appends, as chat writes
// it, with every acknowledged event kept by stream.
type history struct {
	dir, log string
	streams  map[string][]domain.EventData
	total    int
}

const historyWriters = 8

// writeHistory appends events of eventBytes each, one per Append, from
// historyWriters goroutines until the log holds at least logBytes.
func writeHistory(t testing.TB, logBytes, eventBytes int) history {
	t.Helper()
	h := history{dir: t.TempDir(), streams: map[string][]domain.EventData{}}
	h.log = filepath.Join(h.dir, diskstore.LogFile)
	s := mustOpen(t, h.dir, diskstore.Options{})
	perWriter := logBytes/(eventBytes+100)/historyWriters + 1
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, historyWriters)
	for w := range historyWriters {
		stream := fmt.Sprintf("conversation-%d", w)
		wg.Go(func() {
			for i := range perWriter {
				text := fmt.Sprintf("%s message %d ", stream, i)
				e := domain.EventData{ID: uuid(), Type: domain.EventChatMessage,
					Data:     []byte(`{"text":"` + text + strings.Repeat("x", max(0, eventBytes-len(text)-11)) + `"}`),
					Metadata: domain.Metadata{SchemaVersion: 1}}
				expected := domain.NoStream()
				if i > 0 {
					expected = domain.Exact(uint64(i) - 1)
				}
				if _, err := s.Append(t.Context(), stream, expected, []domain.EventData{e}); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				h.streams[stream] = append(h.streams[stream], e)
				h.total++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return h
}

// checkSurvivors opens the store and checks that every acknowledged event
// reads back as it was, or as a placeholder at its place, that positions run
// from 1 without a gap, and that between 1 and maxLost events were lost. It
// returns how many were.
func checkSurvivors(t *testing.T, h history, maxLost int) int {
	t.Helper()
	s := mustOpen(t, h.dir, diskstore.Options{})
	defer s.Close()
	lost := 0
	for stream, want := range h.streams {
		got, err := s.ReadStream(t.Context(), stream, 0, len(want)+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > len(want) || len(got) < len(want)-maxLost {
			t.Fatalf("%s holds %d events after recovery, want %d", stream, len(got), len(want))
		}
		lost += len(want) - len(got) // a stream's last events, placed on the repair's own stream
		for i, e := range got {
			switch {
			case e.Type == domain.EventLostInRepair:
				lost++
			case e.ID != want[i].ID || !bytes.Equal(e.Data, want[i].Data):
				t.Fatalf("%s revision %d = %s %.40q, want %s %.40q", stream, i, e.ID, e.Data, want[i].ID, want[i].Data)
			}
		}
	}
	all, err := s.ReadAll(t.Context(), 0, h.total+10)
	if err != nil {
		t.Fatal(err)
	}
	placeholders := 0
	for i, e := range all {
		if e.Position != uint64(i+1) {
			t.Fatalf("event %d of the whole log has position %d: positions must run without a gap", i, e.Position)
		}
		if e.Type == domain.EventLostInRepair {
			placeholders++
		}
	}
	if len(all) != h.total && len(all) != h.total-lost {
		t.Errorf("the log holds %d events, want %d (or %d without the lost ones)", len(all), h.total, h.total-lost)
	}
	if lost < 1 || lost > maxLost {
		t.Errorf("%d events lost, want 1 to %d", lost, maxLost)
	}
	if placeholders != 0 && placeholders != lost {
		t.Errorf("%d placeholders for %d lost events", placeholders, lost)
	}
	return lost
}

// damage is one way the bytes of a log go bad.
type damage struct {
	apply   func(t *testing.T, log string)
	maxLost int
	// torn is set when the damage is a tail with nothing intact after it.
	torn bool
}

var damages = map[string]damage{
	"bit flipped in the first record": {apply: flipBitAt(func(int64) int64 { return 8 + 60 }), maxLost: 1},
	"bit flipped in a middle record":  {apply: flipBitAt(func(size int64) int64 { return size / 2 }), maxLost: 1},
	// The first record's length grows by 1 MiB, past many records or the
	// end of the log.
	"length of the first record changed": {apply: flipBitAt(func(int64) int64 { return 8 + 2 }), maxLost: 1},
	// A page spans up to six of the 1,000-byte events.
	"page zeroed in the middle": {apply: zeroPage, maxLost: 6},
	// Looks like a write torn into preallocated zeros: cut, with an error.
	"bit flipped in the last record": {apply: flipBitAt(func(size int64) int64 { return size - 10 }), maxLost: 1, torn: true},
	"truncated inside the last record": {apply: func(t *testing.T, log string) {
		if err := os.Truncate(log, fileSize(t, log)-100); err != nil {
			t.Fatal(err)
		}
	}, maxLost: 1, torn: true},
}

func flipBitAt(at func(size int64) int64) func(t *testing.T, log string) {
	return func(t *testing.T, log string) {
		b := readFile(t, log)
		b[at(int64(len(b)))] ^= 0x10
		writeFile(t, log, b)
	}
}

func zeroPage(t *testing.T, log string) {
	b := readFile(t, log)
	start := len(b) / 2 &^ 4095
	clear(b[start : start+4096])
	writeFile(t, log, b)
}

// TestDamageIsRefusedThenRepaired runs each kind of damage on logs below
// and above the window in which a crash can tear the log's end (20 MiB by
// default): Open refuses damage with intact records after it and changes
// nothing, Verify reports it, Repair keeps every intact event and puts a
// placeholder at each lost one.
func TestDamageIsRefusedThenRepaired(t *testing.T) {
	sizes := map[string]struct{ logBytes, eventBytes int }{
		"1 MiB log":  {1 << 20, 1000},
		"22 MiB log": {22 << 20, 4000},
	}
	for sizeName, size := range sizes {
		clean := writeHistory(t, size.logBytes, size.eventBytes)
		pristine := readFile(t, clean.log)
		for name, dmg := range damages {
			t.Run(sizeName+"/"+name, func(t *testing.T) {
				h := clean
				h.dir = t.TempDir()
				h.log = filepath.Join(h.dir, diskstore.LogFile)
				writeFile(t, h.log, pristine)
				dmg.apply(t, h.log)
				if dmg.torn {
					checkSurvivors(t, h, dmg.maxLost)
					return
				}
				damaged := readFile(t, h.log)
				_, err := diskstore.Open(h.dir, diskstore.Options{})
				var de *diskstore.DamageError
				if !errors.As(err, &de) {
					t.Fatalf("Open of a damaged log: err = %v, want a DamageError", err)
				}
				checkRefusal(t, de, h)
				if !bytes.Equal(readFile(t, h.log), damaged) {
					t.Fatal("Open changed a log it refused")
				}
				rep, err := diskstore.Verify(h.dir)
				if err != nil || len(rep.Damaged) != 1 || !sameSpan(rep.Damaged[0], de.Spans[0]) {
					t.Fatalf("Verify = %+v, %v; want the span Open refused, %+v", rep, err, de.Spans[0])
				}
				repaired, err := diskstore.Repair(h.dir)
				if err != nil {
					t.Fatal(err)
				}
				lost := checkSurvivors(t, h, dmg.maxLost)
				if len(repaired.Placeholders) != lost {
					t.Errorf("Repair wrote %d placeholders for %d lost events", len(repaired.Placeholders), lost)
				}
				for _, p := range repaired.Placeholders {
					if !p.StreamKnown { // every stream goes on long after the damage
						t.Errorf("placeholder %+v: its stream could not be told", p)
					}
				}
				quarantine := readFile(t, filepath.Join(h.dir, repaired.Quarantine))
				d := de.Spans[0]
				if !bytes.Equal(quarantine, damaged[d.Offset:d.End]) {
					t.Errorf("quarantine holds %d bytes, want the %d damaged ones", len(quarantine), d.End-d.Offset)
				}
				if again, err := diskstore.Repair(h.dir); err != nil || len(again.Damaged) != 0 {
					t.Errorf("Repair of a repaired log = %+v, %v; want nothing to do", again, err)
				}
			})
		}
	}
}

// checkRefusal checks that the refusal names what an operator needs.
func checkRefusal(t *testing.T, de *diskstore.DamageError, h history) {
	t.Helper()
	d := de.Spans[0]
	msg := de.Error()
	for _, want := range []string{h.log, fmt.Sprintf("offset %d", d.Offset), fmt.Sprintf("%q revision %d", d.After.Stream, d.After.Revision),
		fmt.Sprintf("%d intact records follow", d.ValidAfter), "parley store repair --data-dir " + h.dir} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not name %q", msg, want)
		}
	}
	if want := h.total - int(d.After.Position) + 1; d.ValidAfter != want {
		t.Errorf("%d intact records after the damage, want %d", d.ValidAfter, want)
	}
}

func sameSpan(a, b diskstore.DamagedSpan) bool {
	if (a.Before == nil) != (b.Before == nil) || a.Before != nil && *a.Before != *b.Before {
		return false
	}
	a.Before, b.Before = nil, nil
	return a == b
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}
