package diskstore_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
)

var errKilled = errors.New("killed at a failpoint")

// TestRepairIsCrashSafe stops Repair at each step a crash could interrupt
// and runs it again: the result must be the same log and quarantine as a
// repair that ran through, and the log before the second run must be the
// old one or the repaired one, never anything else.
func TestRepairIsCrashSafe(t *testing.T) {
	h := writeHistory(t, 256<<10, 500)
	flipBitAt(func(size int64) int64 { return size / 3 })(t, h.log)
	zeroPage(t, h.log) // a second span, so the partial-log step runs twice
	damaged := readFile(t, h.log)

	restore := func(t *testing.T) string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, diskstore.LogFile), damaged)
		return dir
	}
	refDir := restore(t)
	var steps []string
	diskstore.SetRepairFailpoint(t, func(step string) error { steps = append(steps, step); return nil })
	ref, err := diskstore.Repair(refDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.Damaged) != 2 {
		t.Fatalf("reference repair found %d damaged spans, want 2", len(ref.Damaged))
	}
	refLog := readFile(t, filepath.Join(refDir, diskstore.LogFile))
	refQuarantine := readFile(t, filepath.Join(refDir, ref.Quarantine))
	refReport := readFile(t, filepath.Join(refDir, ref.ReportFile))

	for k, step := range steps {
		t.Run(step, func(t *testing.T) {
			dir := restore(t)
			calls := 0
			diskstore.SetRepairFailpoint(t, func(string) error {
				calls++
				if calls == k+1 {
					return errKilled
				}
				return nil
			})
			if _, err := diskstore.Repair(dir); !errors.Is(err, errKilled) {
				t.Fatalf("Repair stopped at %q: err = %v", step, err)
			}
			log := readFile(t, filepath.Join(dir, diskstore.LogFile))
			if !bytes.Equal(log, damaged) && !bytes.Equal(log, refLog) {
				t.Fatalf("after a crash at %q the log is neither the old one nor the repaired one", step)
			}
			diskstore.SetRepairFailpoint(t, func(string) error { return nil })
			if _, err := diskstore.Repair(dir); err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string][]byte{diskstore.LogFile: refLog, ref.Quarantine: refQuarantine, ref.ReportFile: refReport} {
				if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, want) {
					t.Errorf("after a crash at %q and a second run, %s differs from an uninterrupted repair's (%v)", step, name, err)
				}
			}
		})
	}
	if len(steps) < 7 {
		t.Errorf("only %d failpoints were passed: %v", len(steps), steps)
	}
}
