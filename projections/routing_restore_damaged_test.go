//go:build unix

package projections_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// tearEnded rewrites the snapshot file as one whose ended section does not
// decode, under a length and checksum that hold: what a bug would write.
func tearEnded(t *testing.T, file projections.SnapshotFile) {
	t.Helper()
	var st projections.RoutingState
	cp, _, err := file.Load(&st)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file.Path)
	if err != nil {
		t.Fatal(err)
	}
	body := data[strings.IndexByte(string(data), '\n')+1:]
	if err := file.Save(cp, rawState(body[:len(body)-3])); err != nil {
		t.Fatal(err)
	}
}

// A snapshot whose ended section does not decode, though its checksum
// holds, never leaves a half board: the board is folded from the history
// instead, or, with no way to fold it, the error is reported by the list,
// by readiness and by the feed, and no snapshot is taken of the part.
func TestRoutingRestoreOfADamagedEndedSection(t *testing.T) {
	// Given a snapshot whose ended conversations do not decode,
	dir := t.TempDir()
	file := routedSnapshot(t, dir)
	tearEnded(t, file)
	store, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	whole := projections.NewRouting()
	if err := feedInto(t.Context(), store, 0, whole); err != nil {
		t.Fatal(err)
	}

	t.Run("folded from the history", func(t *testing.T) {
		// when a node restores it with a way to fold the history, and the
		// feed folds the events after the snapshot (on open conversations
		// only) before the ended section is found not to decode,
		var st projections.RoutingState
		cp, ok, err := file.Load(&st)
		if err != nil || !ok {
			t.Fatalf("Load = %v, %v: the first part decodes", ok, err)
		}
		resumed := projections.NewRouting()
		causes := make(chan error, 2)
		addEnded := projections.RestoreInSteps(resumed, &st, func(cause error, to domain.After) (*projections.Routing, error) {
			causes <- cause
			fresh := projections.NewRouting()
			return fresh, fresh.Fold(context.Background(), store, 0, max(to, cp.After))
		})
		if err := feedInto(t.Context(), store, cp.After, resumed); err != nil {
			t.Fatal(err)
		}
		addEnded()
		// then it folded the board once, up to where the feed got, and it
		// is the whole history's.
		if len(causes) != 1 {
			t.Fatalf("folded %d times, want once", len(causes))
		}
		if cause := <-causes; !strings.Contains(cause.Error(), "ended conversations") {
			t.Fatalf("cause = %v", cause)
		}
		if got, want := projections.BoardDump(resumed), projections.BoardDump(whole); got != want {
			t.Fatalf("board:\n%s\nwant:\n%s", got, want)
		}
		if err := resumed.RestoreErr(); err != nil {
			t.Fatalf("RestoreErr = %v", err)
		}
	})

	t.Run("no way to fold", func(t *testing.T) {
		// when a node restores it with no way to fold the history,
		var st projections.RoutingState
		if _, ok, err := file.Load(&st); err != nil || !ok {
			t.Fatalf("Load = %v, %v", ok, err)
		}
		resumed := projections.NewRouting()
		resumed.Restore(&st, nil)
		// then the staff's list fails rather than answer a part,
		if rows, _, err := resumed.Conversations(t.Context(), projections.ConversationFilter{Status: "ended", Limit: 100}); err == nil {
			t.Fatalf("the list gave %d rows and no error", len(rows))
		}
		// readiness reports it, no snapshot is taken of the part,
		if resumed.RestoreErr() == nil {
			t.Fatal("RestoreErr = nil")
		}
		if _, err := resumed.State().MarshalBinary(); err == nil {
			t.Fatal("a snapshot of the part was taken")
		}
		// and the feed's consumer folds nothing.
		recs, err := store.ReadAll(t.Context(), 0, 1)
		if err != nil || len(recs) != 1 {
			t.Fatal(recs, err)
		}
		if err := resumed.Consume(projections.NewFeedEvent(recs[0])); err == nil {
			t.Fatal("Consume folded into the part")
		}
	})
}
