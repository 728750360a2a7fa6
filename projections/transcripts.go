package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"

	"github.com/parley-chat/parley/domain"
)

// Transcripts is the persisted transcript projection: the transcript of
// every finished conversation, as JSON documents in a TranscriptStore,
// with a checkpoint of the last event handled. Run keeps it current from
// its own subscription, so it survives restarts and works with any store;
// Rebuild makes it again from the whole history.
//
// Crash safety: the checkpoint never claims a transcript that is not
// durable. Run and Rebuild write each transcript atomically but not durably
// (a reader sees the old document or the new one, never a part), make a
// batch of them durable with one barrier (TranscriptStore.Sync), and only
// then store a checkpoint past those conversations'
// ends. After a crash, a conversation that ended at or after the checkpoint
// may have no file, or an empty or unreadable one: Run builds it again on
// the next start, which is harmless because the same events give the same
// bytes, and Get meanwhile folds again any transcript it finds missing or
// unreadable. Get and Build make the one file they store durable before
// they return.
type Transcripts struct {
	files  TranscriptStore
	store  domain.EventStore
	logger *slog.Logger
}

// NewTranscripts returns the projection kept in files and folded from
// store. Nothing is read from either until Run, Get or Rebuild.
func NewTranscripts(files TranscriptStore, store domain.EventStore, logger *slog.Logger) (*Transcripts, error) {
	if files == nil {
		return nil, errors.New("transcripts: a transcript store is required")
	}
	if store == nil {
		return nil, errors.New("transcripts: store is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Transcripts{files: files, store: store, logger: logger}, nil
}

// Get returns the customer transcript of conversation id: the stored one
// when it is there in the current format, otherwise the one folded from the
// conversation's stream (which is then stored), so a transcript is served
// at once even when Run has not reached the end of the conversation yet.
// Errors: CodeNotFound for no such conversation, CodeOngoing while it has
// not ended.
func (p *Transcripts) Get(ctx context.Context, id string) (*Transcript, error) {
	if t, err := loadTranscript(p.files, id); err == nil && t.Format == TranscriptFormat {
		return t, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		p.logger.Warn("stored transcript unreadable; folding it again", "conversation", id, "err", err)
	}
	return p.Build(ctx, id)
}

// Build folds conversation id from its stream and stores its transcript,
// durably before it returns, with the errors of Get.
func (p *Transcripts) Build(ctx context.Context, id string) (*Transcript, error) {
	t, err := p.fold(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := storeTranscript(p.files, t, true); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *Transcripts) fold(ctx context.Context, id string) (*Transcript, error) {
	recs, err := readUntilEnd(ctx, p.store, id)
	if err != nil {
		return nil, err
	}
	return FoldTranscript(id, recs)
}

// writeError is a transcript folded but not written: unlike a history that
// does not fold, it may well succeed on a retry.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// write folds conversation id and writes its transcript without making it
// durable: the store's next barrier does. recs, when not nil, are the
// conversation's events from the first up to its end, as read through the
// event store; otherwise they are read.
func (p *Transcripts) write(ctx context.Context, id string, recs []domain.RecordedEvent) error {
	var t *Transcript
	var err error
	if recs != nil {
		t, err = FoldTranscript(id, recs)
	} else {
		t, err = p.fold(ctx, id)
	}
	if err != nil {
		return err
	}
	if err := storeTranscript(p.files, t, false); err != nil {
		return writeError{err}
	}
	return nil
}

// readUntilEnd reads a conversation's events from the first up to its
// endOfConversation (or the end of the stream). The stream is read in
// pages so a long chat does not need one huge read.
func readUntilEnd(ctx context.Context, store domain.EventStore, id string) ([]domain.RecordedEvent, error) {
	const page = 1000
	var out []domain.RecordedEvent
	for {
		recs, err := store.ReadStream(ctx, domain.StreamName(id), domain.Revision(len(out)), page)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read conversation %s: %w", id, err)
		}
		for _, rec := range recs {
			out = append(out, rec)
			if isEnd(rec) {
				return out, nil
			}
		}
		if len(recs) < page {
			return out, nil
		}
	}
}

// isEnd reports whether rec stores an endOfConversation activity. The cheap
// byte test spares decoding every message of every conversation.
func isEnd(rec domain.RecordedEvent) bool {
	if rec.Type != domain.EventActivityMessage || !bytes.Contains(rec.Data, []byte(domain.ActivityEndOfConversation)) {
		return false
	}
	var m struct {
		ActivityType string `json:"activityType"`
	}
	return json.Unmarshal(rec.Data, &m) == nil && m.ActivityType == domain.ActivityEndOfConversation
}

// builders is how many transcripts are folded and written at once.
func builders() int { return max(1, runtime.GOMAXPROCS(0)) }
