package diskstore

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/tmpfs"
)

// TestFullTmpfs fills a real (small) file system: given a store on a 4 MiB
// tmpfs and a file taking part of it, when appends fill the rest, then the
// first one that does not fit fails and is not stored, even after a restart,
// and once the file is removed appends resume by themselves and every
// acknowledged event is there once.
func TestFullTmpfs(t *testing.T) {
	dir := tmpfs.Mount(t, "4m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s := quietOpen(t, filepath.Join(dir, "data"))
	acked, failed := fillUp(t, s)
	got, s := storedIDs(t, s, "conversation-1")
	if fmt.Sprint(got) != fmt.Sprint(acked) {
		t.Fatalf("after a restart on the full disk the stream holds %d events, want the %d acknowledged", len(got), len(acked))
	}
	// Closing dropped the preallocation: fill what it freed.
	more, failed := fillUp(t, s)
	acked = append(acked, more...)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitUsable(t, s)
	if _, err := s.Append(t.Context(), "conversation-1", domain.Any(), []domain.EventData{failed}); err != nil {
		t.Fatalf("append once space is back: %v", err)
	}
	want := append(acked, failed.ID)
	if got, _ := storedIDs(t, s, "conversation-1"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a restart the stream holds %d events, want %d (each acknowledged one, once)", len(got), len(want))
	}
}

// fillUp appends 16 KiB events until one fails, which it returns with the
// ids of those acknowledged before it.
func fillUp(t *testing.T, s *Store) (acked []string, failed domain.EventData) {
	t.Helper()
	for range 1000 { // 16 MiB: far more than the file system holds
		ev := oneEvent(16 << 10)
		_, err := s.Append(t.Context(), "conversation-1", domain.Any(), []domain.EventData{ev})
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeUnavailable {
				t.Fatalf("append on a full disk: err = %v, want store_unavailable", err)
			}
			return acked, ev
		}
		acked = append(acked, ev.ID)
	}
	t.Fatal("1000 appends of 16 KiB fitted on a 4 MiB tmpfs")
	return nil, domain.EventData{}
}
