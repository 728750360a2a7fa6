package diskstore_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
)

// FuzzRepair damages a small log at a random place (a flipped byte, then
// zeros) and checks that Open either starts or refuses without changing
// the log, that Repair always succeeds, and that afterwards the store opens
// with every acknowledged event as it was or as a placeholder at its place.
func FuzzRepair(f *testing.F) {
	h := writeHistory(f, 16<<10, 200)
	pristine := readFile(f, h.log)
	f.Add(uint32(8), byte(1), uint16(0))
	f.Add(uint32(len(pristine)/2), byte(0x80), uint16(0))
	f.Add(uint32(len(pristine)/2), byte(0xff), uint16(700))
	f.Add(uint32(len(pristine)-5), byte(4), uint16(0))
	f.Add(uint32(20), byte(0x10), uint16(4096))
	f.Fuzz(func(t *testing.T, at uint32, mask byte, zeros uint16) {
		log := append([]byte(nil), pristine...)
		i := 8 + int(at)%(len(log)-8) // the header is not what this tests
		log[i] ^= mask | 1
		clear(log[i+1 : min(len(log), i+1+int(zeros))])
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, diskstore.LogFile), log)

		s, err := diskstore.Open(dir, diskstore.Options{})
		var de *diskstore.DamageError
		switch {
		case err == nil:
			_ = s.Close()
		case errors.As(err, &de):
		default:
			t.Fatalf("Open: %v", err)
		}
		if _, err := diskstore.Repair(dir); err != nil {
			t.Fatalf("Repair: %v", err)
		}
		fuzzed := h
		fuzzed.dir, fuzzed.log = dir, filepath.Join(dir, diskstore.LogFile)
		// 200-byte events take at least 250 bytes each in the log.
		checkSurvivors(t, fuzzed, int(zeros)/250+2)
	})
}
