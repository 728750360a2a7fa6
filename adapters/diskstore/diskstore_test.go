package diskstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/storecontract"
)

func TestContract(t *testing.T) {
	open := func(t *testing.T) domain.EventStore { return mustOpen(t, t.TempDir(), diskstore.Options{}) }
	storecontract.Run(t, open, storecontract.Features{ContiguousPositions: true, SystemStreams: true, Reopen: reopen})
}

func reopen(t *testing.T, s domain.EventStore) domain.EventStore {
	t.Helper()
	ds := s.(*diskstore.Store)
	if err := ds.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return mustOpen(t, ds.Dir(), diskstore.Options{})
}

// mustOpen opens a store on dir that is closed when the test ends. Its log
// output is dropped unless opts has a logger.
func mustOpen(tb testing.TB, dir string, opts diskstore.Options) *diskstore.Store {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := diskstore.Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// logBuffer collects a store's log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

func event(t testing.TB) domain.EventData {
	t.Helper()
	return benchEvents(1)[0]
}

func TestOpenLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	first := mustOpen(t, dir, diskstore.Options{})

	_, err := diskstore.Open(dir, diskstore.Options{})
	if !errors.Is(err, diskstore.ErrLocked) {
		t.Fatalf("second Open of %s: err = %v, want ErrLocked", dir, err)
	}
	for _, want := range []string{dir, "another Parley process", fmt.Sprintf("pid %d", os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mustOpen(t, dir, diskstore.Options{}) // the lock goes with Close
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s := mustOpen(t, t.TempDir(), diskstore.Options{})
	ctx := t.Context()
	if _, err := s.Append(ctx, "conversation-1", domain.NoStream(), []domain.EventData{event(t)}); err != nil {
		t.Fatal(err)
	}
	sub := make(chan error, 1)
	caughtUp := make(chan struct{})
	go func() {
		sub <- s.SubscribeToAll(ctx, 0, domain.Filter{}, func(context.Context, domain.RecordedEvent) error { return nil },
			domain.SubscribeOptions{OnCaughtUp: func() { close(caughtUp) }})
	}()
	<-caughtUp
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-sub; !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("subscription at Close ended with %v, want ErrUnavailable", err)
	}

	noop := func(context.Context, domain.RecordedEvent) error { return nil }
	calls := map[string]func() error{
		"Append": func() error {
			_, err := s.Append(ctx, "conversation-1", domain.Any(), []domain.EventData{event(t)})
			return err
		},
		"ReadStream": func() error { _, err := s.ReadStream(ctx, "conversation-1", 0, 10); return err },
		"ReadAll":    func() error { _, err := s.ReadAll(ctx, 0, 10); return err },
		"SubscribeToStream": func() error {
			return s.SubscribeToStream(ctx, "conversation-1", 0, noop, domain.SubscribeOptions{})
		},
		"SubscribeToAll": func() error { return s.SubscribeToAll(ctx, 0, domain.Filter{}, noop, domain.SubscribeOptions{}) },
		"Ping":           func() error { return s.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, domain.ErrUnavailable) || domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Errorf("%s after Close: %v, want an error wrapping domain.ErrUnavailable", name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	err := diskstore.Options{CacheBytes: -1, MaxGroupBytes: -1, MaxAppendBytes: -1}.Validate()
	for _, field := range []string{"CacheBytes", "MaxGroupBytes", "MaxAppendBytes"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Validate() = %v, want a problem with %s", err, field)
		}
	}
	if _, err := diskstore.Open(t.TempDir(), diskstore.Options{CacheBytes: -1}); err == nil {
		t.Error("Open with invalid options succeeded")
	}
}

// Readers share the cached bytes of an event (see domain.RecordedEvent), so
// a reader that appends to an event's Data must get a copy rather than
// write over the next event of the same append, which sits right after it.
func TestAnAppendToReadDataLeavesTheNextEventAlone(t *testing.T) {
	tests := []struct {
		name   string
		reopen bool // read from the log instead of the cache
	}{
		{name: "from the cache"},
		{name: "from the log", reopen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			// given two events stored by one append
			s := mustOpen(t, t.TempDir(), diskstore.Options{})
			evs := benchEvents(2)
			evs[1].Data = []byte(`{"text":"second"}`)
			if _, err := s.Append(ctx, "conversation-1", domain.NoStream(), evs); err != nil {
				t.Fatal(err)
			}
			if tt.reopen {
				s = reopen(t, s).(*diskstore.Store)
			}
			// when a reader appends to the first one's data
			first, err := s.ReadStream(ctx, "conversation-1", 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			_ = append(first[0].Data, strings.Repeat("!", 64)...)
			// then the second reads as stored
			second, err := s.ReadStream(ctx, "conversation-1", 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(second[0].Data); got != `{"text":"second"}` {
				t.Fatalf("second event's data = %q", got)
			}
		})
	}
}
