package diskstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

var testIDs atomic.Uint64

// oneEvent returns an event with a fresh id and data bytes of data.
func oneEvent(data int) domain.EventData {
	n := testIDs.Add(1)
	return domain.EventData{ID: fmt.Sprintf("6f1c33c4-3f53-4b8e-9a57-%012x", n), Type: "test.happened.v1",
		Data: fmt.Appendf(nil, `{"pad":"%0*d"}`, data, 0)}
}

func quietOpen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// storedIDs closes s, reopens its directory and returns the ids of the
// stream as a restart finds them, with the reopened store.
func storedIDs(t *testing.T, s *Store, stream string) ([]string, *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r := quietOpen(t, s.dir)
	evs, err := r.ReadStream(context.Background(), stream, 0, 1000)
	if err != nil && !errors.Is(err, domain.ErrStreamNotFound) {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids, r
}

// waitUsable polls Ping until the store takes appends again.
func waitUsable(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the store did not take appends again within 10s: %v", s.Ping(context.Background()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// halfThenNoSpace writes half of b, as a filling disk does, and fails.
func halfThenNoSpace(s *Store) func([]byte, int64) (int, error) {
	return func(b []byte, off int64) (int, error) {
		n, _ := s.log.WriteAt(b[:len(b)/2], off)
		return n, syscall.ENOSPC
	}
}

// TestFailedWriteIsNotStored: given a store with one event, when the write
// of the next append fails with no space (in its records, or only in the
// preallocation after them), then an error means the event is in neither
// the store nor the log after a restart, an acknowledged one is in both,
// appends wait while the disk stays full and resume by themselves, and a
// retry with the same id stores the event once.
func TestFailedWriteIsNotStored(t *testing.T) {
	tests := map[string]struct {
		failPrealloc bool // only the zeros after the records fail
		wantStored   bool
	}{
		"records fail":        {failPrealloc: false, wantStored: false},
		"preallocation fails": {failPrealloc: true, wantStored: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := quietOpen(t, t.TempDir())
			first, second := oneEvent(10), oneEvent(10)
			if _, err := s.Append(ctx, "conversation-1", domain.NoStream(), []domain.EventData{first}); err != nil {
				t.Fatal(err)
			}
			// The next append must grow the file past its preallocation.
			s.w.allocEnd = s.w.end
			sizeBefore := s.w.end
			var full atomic.Bool
			full.Store(true)
			failing := halfThenNoSpace(s)
			s.writeAt = func(b []byte, off int64) (int, error) {
				if full.Load() && (!tt.failPrealloc || len(b) == preallocBytes) {
					return failing(b, off)
				}
				return s.log.WriteAt(b, off)
			}

			_, err := s.Append(ctx, "conversation-1", domain.Exact(0), []domain.EventData{second})
			if stored := err == nil; stored != tt.wantStored {
				t.Fatalf("Append: err = %v, want stored = %v", err, tt.wantStored)
			}
			if err != nil {
				if domain.ErrorCode(err) != domain.CodeUnavailable || !errors.Is(err, syscall.ENOSPC) {
					t.Errorf("Append: err = %v (code %s), want store_unavailable wrapping ENOSPC", err, domain.ErrorCode(err))
				}
				if fi, _ := s.log.Stat(); fi.Size() != sizeBefore {
					t.Errorf("log is %d bytes after the failed write, want %d as before it", fi.Size(), sizeBefore)
				}
			}
			// Paused: the next append is refused without touching the log.
			if _, err := s.Append(ctx, "conversation-2", domain.NoStream(), []domain.EventData{oneEvent(10)}); domain.ErrorCode(err) != domain.CodeUnavailable {
				t.Errorf("Append while the disk is full: err = %v, want store_unavailable", err)
			}
			if err := s.Ping(ctx); domain.ErrorCode(err) != domain.CodeUnavailable {
				t.Errorf("Ping while the disk is full: %v, want store_unavailable", err)
			}

			full.Store(false)
			waitUsable(t, s)
			res, err := s.Append(ctx, "conversation-1", domain.Exact(0), []domain.EventData{second})
			if err != nil {
				t.Fatalf("retry once space is back: %v", err)
			}
			if res.NextRevision != 1 {
				t.Errorf("retry: revision %d, want 1", res.NextRevision)
			}
			want := []string{first.ID, second.ID}
			if got, _ := storedIDs(t, s, "conversation-1"); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after a restart the stream holds %v, want %v", got, want)
			}
		})
	}
}

// TestFailedGroupWriteStoresNoneOfIt: given many appends that share one
// group commit, when its write fails halfway, then every one of them is
// answered with an error and none of them is in the log after a restart.
func TestFailedGroupWriteStoresNoneOfIt(t *testing.T) {
	ctx := t.Context()
	s := quietOpen(t, t.TempDir())
	release := make(chan struct{})
	var syncs atomic.Int32
	s.sync = func() error {
		if syncs.Add(1) == 1 {
			<-release // hold the writer while the group queues up
		}
		return datasync(s.log)
	}
	first := oneEvent(10)
	firstDone := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "first", domain.NoStream(), []domain.EventData{first})
		firstDone <- err
	}()
	for syncs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Append(ctx, fmt.Sprintf("conversation-%d", i), domain.NoStream(), []domain.EventData{oneEvent(100)})
		})
	}
	for len(s.reqs) < n {
		time.Sleep(time.Millisecond)
	}
	var groupBytes atomic.Int64
	failing := halfThenNoSpace(s)
	s.writeAt = func(b []byte, off int64) (int, error) {
		groupBytes.CompareAndSwap(0, int64(len(b)))
		return failing(b, off)
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatalf("first append: %v", err)
	}
	wg.Wait()

	if got := groupBytes.Load(); got < n*100 {
		t.Fatalf("the failed write held %d bytes, want all %d appends in one group", got, n)
	}
	for i, err := range errs {
		if domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Errorf("append %d of the failed group: err = %v, want store_unavailable", i, err)
		}
	}
	size := s.w.end
	_, r := storedIDs(t, s, "first")
	for i := range n {
		if evs, err := r.ReadStream(ctx, fmt.Sprintf("conversation-%d", i), 0, 10); len(evs) != 0 {
			t.Errorf("conversation-%d holds %d events after a restart (err %v), want none", i, len(evs), err)
		}
	}
	if r.w.end != size {
		t.Errorf("the log ends at %d after a restart, want %d: the end of the first append", r.w.end, size)
	}
}

// TestFailedSyncStopsTheStore: when an fsync fails, then the append is
// answered with an error saying a restart is needed, and the store takes
// no more appends even once the disk works again.
func TestFailedSyncStopsTheStore(t *testing.T) {
	ctx := t.Context()
	s := quietOpen(t, t.TempDir())
	var broken atomic.Bool
	broken.Store(true)
	s.sync = func() error {
		if broken.Load() {
			return syscall.EIO
		}
		return datasync(s.log)
	}
	_, err := s.Append(ctx, "conversation-1", domain.NoStream(), []domain.EventData{oneEvent(10)})
	if domain.ErrorCode(err) != domain.CodeUnavailable || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append with a failing fsync: err = %v, want store_unavailable wrapping EIO", err)
	}
	if msg := domain.ErrorMessage(err); msg == "" || !strings.Contains(msg, "restart") {
		t.Errorf("message %q does not say a restart is needed", msg)
	}
	broken.Store(false)
	time.Sleep(10 * firstRetryWait) // longer than the first retries would wait
	if err := s.Ping(ctx); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("Ping after a failed fsync: %v, want store_unavailable until reopened", err)
	}
}

// TestCloseWritesWhatWasSubmitted: given an append queued behind a group
// being synced, when Close is called, then the append is still written and
// acknowledged before the store closes.
func TestCloseWritesWhatWasSubmitted(t *testing.T) {
	ctx := t.Context()
	s := quietOpen(t, t.TempDir())
	release := make(chan struct{})
	var syncs atomic.Int32
	s.sync = func() error {
		if syncs.Add(1) == 1 {
			<-release
		}
		return datasync(s.log)
	}
	errs := make(chan error, 2)
	for _, stream := range []string{"first", "queued"} {
		go func() {
			_, err := s.Append(ctx, stream, domain.NoStream(), []domain.EventData{oneEvent(10)})
			errs <- err
		}()
		for syncs.Load() == 0 || (stream == "queued" && len(s.reqs) == 0) {
			time.Sleep(time.Millisecond)
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.isClosed.Load() {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("append submitted before Close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}
