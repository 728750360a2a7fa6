package diskstore

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// TestWriteFailureStopsAppends closes the log under the writer, so that the
// next write fails as a dying disk would: nothing may be acknowledged, and
// the store must refuse further appends instead of guessing what is on disk.
func TestWriteFailureStopsAppends(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ev := func(id string) []domain.EventData {
		return []domain.EventData{{ID: id, Type: "test.happened.v1", Data: []byte(`{}`)}}
	}
	ctx := t.Context()
	if _, err := s.Append(ctx, "conversation-1", domain.NoStream(), ev("6f1c33c4-3f53-4b8e-9a57-0c0d6b7c9d01")); err != nil {
		t.Fatal(err)
	}

	_ = s.log.Close()
	_, err = s.Append(ctx, "conversation-1", domain.Exact(0), ev("6f1c33c4-3f53-4b8e-9a57-0c0d6b7c9d02"))
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Append with a failing log: err = %v, want ErrUnavailable", err)
	}
	if n := s.idx.streamLen("conversation-1"); n != 1 {
		t.Errorf("index holds %d events after a failed write, want 1", n)
	}
	_, err = s.Append(ctx, "conversation-2", domain.NoStream(), ev("6f1c33c4-3f53-4b8e-9a57-0c0d6b7c9d03"))
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Append after the failure: err = %v, want ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Ping after the failure: %v, want ErrUnavailable", err)
	}
}
