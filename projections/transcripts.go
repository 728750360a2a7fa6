package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Transcripts is the persisted transcript projection: the transcript of
// every finished conversation, as JSON files under a directory of its own,
// with a checkpoint of the last event it handled. Run keeps it current from
// its own subscription, so it survives restarts and works with any store;
// Rebuild makes it again from the whole history.
type Transcripts struct {
	files  transcriptFiles
	store  domain.EventStore
	logger *slog.Logger

	mu  sync.Mutex // serialises checkpoint writes
	pos domain.Position
}

// OpenTranscripts returns the projection kept in dir, creating dir when
// needed. Nothing is read from the store until Run, Get or Rebuild.
func OpenTranscripts(dir string, store domain.EventStore, logger *slog.Logger) (*Transcripts, error) {
	if store == nil {
		return nil, errors.New("transcripts: store is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("transcripts: %w", err)
	}
	return &Transcripts{files: transcriptFiles{dir: dir}, store: store, logger: logger}, nil
}

// Get returns the customer transcript of conversation id: the stored one
// when it is there in the current format, otherwise the one folded from the
// conversation's stream (which is then stored), so a transcript is served
// at once even when Run has not reached the end of the conversation yet.
// Errors: CodeNotFound for no such conversation, CodeOngoing while it has
// not ended.
func (p *Transcripts) Get(ctx context.Context, id string) (*Transcript, error) {
	if t, err := p.files.load(id); err == nil && t.Format == TranscriptFormat {
		return t, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		p.logger.Warn("stored transcript unreadable; folding it again", "conversation", id, "err", err)
	}
	return p.Build(ctx, id)
}

// Build folds conversation id from its stream and stores its transcript,
// with the errors of Get.
func (p *Transcripts) Build(ctx context.Context, id string) (*Transcript, error) {
	recs, err := readUntilEnd(ctx, p.store, id)
	if err != nil {
		return nil, err
	}
	t, err := FoldTranscript(id, recs)
	if err != nil {
		return nil, err
	}
	if err := p.files.store(t); err != nil {
		return nil, err
	}
	return t, nil
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

// Run keeps the projection current until ctx ends, and returns ctx's error: it subscribes to every
// conversation stream from the checkpoint and builds a conversation's
// transcript when its end arrives. ready is called each time the
// subscription has caught up. A store failure ends the subscription, which
// resumes from the checkpoint with backoff; building a transcript again is
// harmless, since the same events give the same bytes.
func (p *Transcripts) Run(ctx context.Context, ready func()) error {
	cp, err := p.files.loadCheckpoint()
	if err != nil {
		// Folding from the start again is slow but harmless.
		p.logger.Warn("transcript checkpoint unreadable; following from the first event", "err", err)
	}
	p.mu.Lock()
	p.pos = cp
	p.mu.Unlock()
	backoff := 50 * time.Millisecond
	for {
		err := p.store.SubscribeToAll(ctx, p.pos, domain.Filter{StreamPrefix: domain.StreamPrefix}, p.handle,
			domain.SubscribeOptions{OnCaughtUp: func() {
				p.saveCheckpoint()
				if ready != nil {
					ready()
				}
			}})
		if ctx.Err() != nil {
			p.saveCheckpoint()
			return ctx.Err()
		}
		p.logger.Warn("transcript projection subscription dropped; resuming", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (p *Transcripts) handle(ctx context.Context, rec domain.RecordedEvent) error {
	if isEnd(rec) {
		id, _ := domain.ConversationIDOf(rec.Stream)
		if _, err := p.Build(ctx, id); err != nil {
			if domain.ErrorCode(err) == domain.CodeUnavailable || ctx.Err() != nil {
				return err // resubscribe from the checkpoint and try again
			}
			// A history that does not fold will not fold on a retry
			// either; Get reports the error when the transcript is asked for.
			p.logger.Error("transcript not built", "conversation", id, "err", err)
		}
		p.mu.Lock()
		p.pos = rec.Position + 1
		p.mu.Unlock()
		p.saveCheckpoint()
		return nil
	}
	p.mu.Lock()
	p.pos = rec.Position + 1
	p.mu.Unlock()
	return nil
}

func (p *Transcripts) saveCheckpoint() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.files.storeCheckpoint(p.pos); err != nil {
		p.logger.Warn("transcript checkpoint not saved", "err", err)
	}
}

// Rebuild deletes every stored transcript and builds them all again from
// the whole history, then sets the checkpoint after the last event read.
// progress, when set, is called with the number of conversations built and
// the number found. It returns how many transcripts it built.
func (p *Transcripts) Rebuild(ctx context.Context, progress func(done, total int)) (int, error) {
	if err := p.files.clear(); err != nil {
		return 0, err
	}
	var ended []string
	var next domain.Position
	const page = 1000
	for {
		recs, err := p.store.ReadAll(ctx, next, page)
		if err != nil {
			return 0, fmt.Errorf("read all events: %w", err)
		}
		for _, rec := range recs {
			next = rec.Position + 1
			if id, ok := domain.ConversationIDOf(rec.Stream); ok && isEnd(rec) {
				ended = append(ended, id)
			}
		}
		if len(recs) < page {
			break
		}
	}
	for i, id := range ended {
		if _, err := p.Build(ctx, id); err != nil {
			return i, fmt.Errorf("build transcript of %s: %w", id, err)
		}
		if progress != nil {
			progress(i+1, len(ended))
		}
	}
	if err := p.files.storeCheckpoint(next); err != nil {
		return len(ended), err
	}
	return len(ended), nil
}
