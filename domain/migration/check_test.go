package migration_test

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain/migration"
	"github.com/parley-chat/parley/eventschemas"
)

// TestCheckRefusesBeforeCopying: given a source whose events fail their
// schemas (fill writes {"n":..} as messages), when migrating with the
// schema check, then the run stops naming the first event and the target
// holds nothing; without the check the same source copies (TestRoundTrip).
func TestCheckRefusesBeforeCopying(t *testing.T) {
	src, dst := openDisk(t, t.TempDir()), openDisk(t, t.TempDir())
	fill(t, src)
	first := readAll(t, src)[0]
	reg := eventschemas.MustLoad()
	_, err := migration.New(src, dst, migration.Options{Check: reg.CheckRecorded}).Run(ctxFor(t))
	if err == nil || !strings.Contains(err.Error(), first.ID) || !strings.Contains(err.Error(), "fails its schema") {
		t.Fatalf("got %v, want an error naming %s as failing its schema", err, first.ID)
	}
	if got := readAll(t, dst); len(got) != 0 {
		t.Fatalf("the target holds %d events, want none", len(got))
	}
	if got := len(readAll(t, src)); got == 0 {
		t.Fatal("the source lost its events")
	}
}
