package diskspace_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskspace"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/tmpfs"
)

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// TestLowOnARealDisk: given the directory's real file system, then a
// minimum of 0 is off, one it surely has is fine, and one it surely has
// not is low, with a message that says so.
func TestLowOnARealDisk(t *testing.T) {
	tests := map[string]struct {
		min     uint64
		wantLow bool
	}{
		"off":        {min: 0},
		"one byte":   {min: 1},
		"an exabyte": {min: 1 << 60, wantLow: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := diskspace.New(t.TempDir(), tt.min, slog.New(slog.NewTextHandler(&logBuffer{}, nil)))
			err := g.Low()
			if low := err != nil; low != tt.wantLow {
				t.Fatalf("Low() = %v, want low = %v", err, tt.wantLow)
			}
			if err != nil && (domain.ErrorCode(err) != domain.CodeUnavailable || !strings.Contains(domain.ErrorMessage(err), "low disk space")) {
				t.Errorf("Low() = %q (code %s), want store_unavailable saying low disk space", domain.ErrorMessage(err), domain.ErrorCode(err))
			}
		})
	}
}

// TestLowFollowsAFillingTmpfs: given an 8 MiB tmpfs and a minimum of 4 MiB,
// when a file takes 5 MiB, then the guard reports low space and warns once
// a minute while it lasts, and when the file is removed it is fine again.
func TestLowFollowsAFillingTmpfs(t *testing.T) {
	dir := tmpfs.Mount(t, "8m")
	var logs logBuffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := diskspace.New(dir, 4<<20, slog.New(slog.NewTextHandler(&logs, nil)))
	diskspace.SetClock(g, func() time.Time { return now })
	if err := g.Low(); err != nil {
		t.Fatalf("empty tmpfs: Low() = %v", err)
	}
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 5<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, step := range []time.Duration{2 * time.Second, 20 * time.Second, 30 * time.Second, 15 * time.Second} {
		now = now.Add(step)
		if err := g.Low(); err == nil {
			t.Fatalf("5 of 8 MiB taken, minimum 4 MiB: Low() = nil")
		}
	}
	if n := logs.count("low disk space"); n != 2 {
		t.Errorf("logged %d warnings over 67 s of low space, want 2 (once a minute)", n)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second)
	if err := g.Low(); err != nil {
		t.Errorf("space freed: Low() = %v", err)
	}
}
