package migration_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/migration"
)

// small pages and batches make a short history cross page and batch
// boundaries many times.
var small = migration.Options{PageSize: 7, BatchBytes: 300}

func run(t *testing.T, from, to domain.EventStore, opts migration.Options) migration.Report {
	t.Helper()
	rep, err := migration.New(from, to, opts).Run(ctxFor(t))
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return rep
}

// TestRoundTrip copies the embedded store to EventStoreDB and back into a
// fresh embedded store, twice: the streams come back identical, recorded
// times included, and the second run changes nothing.
func TestRoundTrip(t *testing.T) {
	src := openDisk(t, t.TempDir())
	fill(t, src)
	want := readAll(t, src)
	mid, dst := openServer(t), openDisk(t, t.TempDir())

	var calls, lastDone, lastTotal int
	opts := small
	opts.Progress = func(done, total int) { calls, lastDone, lastTotal = calls+1, done, total }
	first := run(t, src, mid, opts)
	if first.Events != len(want) || first.Copied != len(want) || first.Existing != 0 || first.Streams != 5 || lastDone != len(want) || lastTotal != len(want) || calls != first.Appends {
		t.Fatalf("report %+v, last progress %d/%d in %d calls; want %d events of 5 streams", first, lastDone, lastTotal, calls, len(want))
	}
	sameHistory(t, want, readAll(t, mid))
	run(t, mid, dst, small)
	got := readAll(t, dst)
	sameHistory(t, want, got)
	for i := range want {
		// Both embedded stores number positions 1, 2, 3…, and the copy keeps
		// the global order, so even positions match.
		if got[i].Position != want[i].Position {
			t.Fatalf("event %d at position %d, want %d", i, got[i].Position, want[i].Position)
		}
	}

	again := run(t, src, mid, migration.Options{})
	run(t, mid, dst, migration.Options{})
	if again.Events != first.Events || again.Streams != first.Streams || again.Copied != 0 || again.Existing != first.Events {
		t.Errorf("second run report %+v, want the counts of the first %+v, all of them there already", again, first)
	}
	sameHistory(t, want, readAll(t, mid))
	sameHistory(t, want, readAll(t, dst))
}

// TestResume finishes a copy that stopped half-way, with the target
// holding part of a batch.
func TestResume(t *testing.T) {
	src, dst := openDisk(t, t.TempDir()), openServer(t)
	fill(t, src)
	want := readAll(t, src)
	for _, e := range want[:len(want)-20] {
		exp := domain.NoStream()
		if e.Revision > 0 {
			exp = domain.Exact(e.Revision - 1)
		}
		mustAppend(t, dst, e.Stream, exp, []domain.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata, Recorded: e.Recorded}})
	}
	rep := run(t, src, dst, migration.Options{})
	if rep.Copied != 20 || rep.Existing != len(want)-20 {
		t.Errorf("report %+v, want 20 events copied and %d there already", rep, len(want)-20)
	}
	sameHistory(t, want, readAll(t, dst))
}

// TestVerifyComparesEveryEvent gives the target a copy of a stream in which
// one event in the middle has the right id but another type, data or
// metadata: the appends take the copy's events there for retries, and only
// comparing each event finds the difference.
func TestVerifyComparesEveryEvent(t *testing.T) {
	for _, what := range []string{"type", "data", "metadata"} {
		t.Run(what, func(t *testing.T) {
			src, dst := openDisk(t, t.TempDir()), openDisk(t, t.TempDir())
			fill(t, src)
			all := readAll(t, src)
			stream := all[0].Stream
			events := readStream(t, src, stream)
			if len(events) < 3 {
				t.Fatalf("stream %s has %d events; the test needs 3", stream, len(events))
			}
			forged := events[1]
			switch what {
			case "type":
				forged.Type = "ActivityMessage"
			case "data":
				forged.Data = append([]byte(nil), forged.Data...)
				forged.Data[len(forged.Data)-2] ^= 1
			case "metadata":
				forged.Metadata.CorrelationID = "forged"
			}
			for i, e := range []domain.RecordedEvent{events[0], forged} {
				exp := domain.NoStream()
				if i > 0 {
					exp = domain.Exact(domain.Revision(i - 1))
				}
				mustAppend(t, dst, stream, exp, []domain.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata, Recorded: e.Recorded}})
			}
			rep, err := migration.New(src, dst, migration.Options{}).Run(ctxFor(t))
			var verr *migration.VerifyError
			if !errors.As(err, &verr) || len(verr.Mismatches) != 1 {
				t.Fatalf("Run = %+v, %v; want one stream that differs", rep, err)
			}
			m := verr.Mismatches[0]
			if m.Stream != stream || m.Differs != what || m.At != 1 || !strings.Contains(err.Error(), "revision 1 has another "+what) {
				t.Fatalf("mismatch %+v (%v), want %s at revision 1 of %s", m, err, what, stream)
			}
			if rep.Existing != 2 || rep.Copied != len(all)-2 {
				t.Fatalf("report %+v, want 2 events there already and %d copied", rep, len(all)-2)
			}
		})
	}
}

// TestConflict refuses to copy a stream into a target that holds other
// events in it.
func TestConflict(t *testing.T) {
	src, dst := openDisk(t, t.TempDir()), openDisk(t, t.TempDir())
	fill(t, src)
	stream := readAll(t, src)[0].Stream
	mustAppend(t, dst, stream, domain.NoStream(), newEvents(1, "ChatMessage"))
	_, err := migration.New(src, dst, migration.Options{}).Run(ctxFor(t))
	if err == nil || !strings.Contains(err.Error(), stream) || !strings.Contains(err.Error(), "differs from the source at revision 0") {
		t.Fatalf("err = %v, want a conflict on %s at revision 0", err, stream)
	}
}

// TestVerify reports streams that differ once the copy is done.
func TestVerify(t *testing.T) {
	src, dst := openDisk(t, t.TempDir()), openDisk(t, t.TempDir())
	fill(t, src)
	c := migration.New(src, dst, migration.Options{})
	rep, err := c.Copy(ctxFor(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	all := readAll(t, src)
	last := all[len(all)-1]
	mustAppend(t, src, last.Stream, domain.Exact(last.Revision), newEvents(2, "ChatMessage"))
	var verr *migration.VerifyError
	if err := c.Verify(ctxFor(t)); !errors.As(err, &verr) || len(verr.Mismatches) != 1 || verr.Streams != rep.Streams ||
		verr.Mismatches[0] != (migration.Mismatch{Stream: last.Stream, Copied: last.Revision + 1, Source: last.Revision + 3, Target: last.Revision + 1}) ||
		!strings.Contains(err.Error(), "run it again") {
		t.Fatalf("Verify after the source grew = %v (%+v)", err, verr)
	}

	// An event the target gained on its own is a mismatch too, without the
	// advice to run again.
	stream := all[0].Stream
	n := len(readStream(t, dst, stream))
	mustAppend(t, dst, stream, domain.Exact(domain.Revision(n-1)), newEvents(1, "ChatMessage"))
	err = c.Verify(ctxFor(t))
	if !errors.As(err, &verr) || len(verr.Mismatches) != 2 || strings.Contains(err.Error(), "run it again") {
		t.Fatalf("Verify after the target grew = %v", err)
	}
}

// TestSkippedRevisions refuses a source stream whose revisions have a hole
// where $all reads skip a system event: the copy could not keep revisions.
func TestSkippedRevisions(t *testing.T) {
	src, dst := openServer(t), openDisk(t, t.TempDir())
	stream := "conversation-" + uuid.NewString()
	mustAppend(t, src, stream, domain.NoStream(), newEvents(1, "ChatMessage"))
	mustAppend(t, src, stream, domain.Exact(0), newEvents(1, "$metadata"))
	mustAppend(t, src, stream, domain.Exact(1), newEvents(1, "ChatMessage"))
	_, err := migration.New(src, dst, migration.Options{}).Run(ctxFor(t))
	if err == nil || !strings.Contains(err.Error(), "revision 2 where 1 was expected") {
		t.Fatalf("err = %v, want the hole at revision 1 reported", err)
	}
}

func readStream(t *testing.T, s domain.EventStore, stream string) []domain.RecordedEvent {
	t.Helper()
	recs, err := s.ReadStream(ctxFor(t), stream, 0, 10000)
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return recs
}
