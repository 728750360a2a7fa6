package diskstore_test

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
)

// BenchmarkVerify reads a 100 MiB log whole, intact and with damage in the
// middle that Verify must resynchronise past byte by byte: a zeroed
// megabyte and a megabyte of random bytes. The last case repairs the log
// with the zeroed megabyte, writing and syncing the new log each time.
func BenchmarkVerify(b *testing.B) {
	h := writeHistory(b, 100<<20, 4000)
	pristine, err := os.ReadFile(h.log)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	damages := map[string]func(log []byte){
		"intact":       func([]byte) {},
		"1 MiB zeroed": func(log []byte) { clear(log[len(log)/2 : len(log)/2+1<<20]) },
		"1 MiB of random bytes": func(log []byte) {
			for i := len(log) / 2; i < len(log)/2+1<<20; i++ {
				log[i] = byte(rng.Uint32())
			}
		},
	}
	b.Run("repair 1 MiB zeroed", func(b *testing.B) {
		log := append([]byte(nil), pristine...)
		damages["1 MiB zeroed"](log)
		b.SetBytes(int64(len(log)))
		for range b.N {
			b.StopTimer()
			if err := os.WriteFile(h.log, log, 0o640); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if rep, err := diskstore.Repair(h.dir); err != nil || len(rep.Damaged) != 1 {
				b.Fatalf("Repair = %+v, %v", rep, err)
			}
		}
	})
	for name, damage := range damages {
		b.Run(name, func(b *testing.B) {
			log := append([]byte(nil), pristine...)
			damage(log)
			if err := os.WriteFile(h.log, log, 0o640); err != nil {
				b.Fatal(err)
			}
			if rep, err := diskstore.Verify(h.dir); err == nil {
				b.Logf("%d records, damaged %v", rep.Records, rep.Damaged)
			}
			b.SetBytes(int64(len(log)))
			for b.Loop() {
				rep, err := diskstore.Verify(h.dir)
				if err != nil || (name == "intact") != (len(rep.Damaged) == 0) {
					b.Fatalf("Verify = %+v, %v", rep, err)
				}
			}
		})
	}
}
