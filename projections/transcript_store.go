package projections

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// TranscriptStore keeps the transcript projection's documents: the
// rendered transcript of each ended conversation and the checkpoint. The
// projection decides what the documents hold and when they must be
// durable; the store decides where and how they are kept
// (adapters/transcriptfiles keeps them as files).
type TranscriptStore interface {
	// Load returns the transcript stored for conversation id; an error
	// that matches fs.ErrNotExist when there is none.
	Load(id string) ([]byte, error)
	// Save stores doc as the transcript of id, durably before it returns.
	Save(id string, doc []byte) error
	// Write stores doc as the transcript of id atomically (a reader sees
	// the whole old document or the whole new one; after a crash it may be
	// missing or unreadable until a barrier covers it) but not durably.
	// doc is not kept after Write returns.
	Write(id string, doc []byte) error
	// Sync is the barrier: when it returns nil, every document whose Write
	// returned before Sync was called is durable. It is not called by two
	// goroutines at once. After an error nothing is known of those
	// documents: they are written again before a checkpoint claims them.
	Sync() error
	// LoadCheckpoint returns the stored checkpoint, or nil when there is
	// none.
	LoadCheckpoint() ([]byte, error)
	// SaveCheckpoint stores doc as the checkpoint, durably.
	SaveCheckpoint(doc []byte) error
	// Clear removes every transcript and the checkpoint, the checkpoint
	// first and durably, so that no checkpoint outlives what it claims.
	Clear() error
}

// A checkpoint is the position of the last event whose effects are
// durable; the projection resumes after it. Before the port read "after" a
// position, a checkpoint held the next position to read, under the key
// "position": such a document carries no "after" and is ignored
// (everything is folded again, which is harmless), so an old value one past
// an event never reaches EventStoreDB.
type checkpoint struct {
	Format int           `json:"format"`
	After  *domain.After `json:"after"`
}

// loadCheckpoint returns the position to resume after: 0 when there is no
// checkpoint, or one of another transcript format.
func loadCheckpoint(s TranscriptStore) (domain.After, error) {
	raw, err := s.LoadCheckpoint()
	if err != nil || raw == nil {
		return 0, err
	}
	var cp checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return 0, fmt.Errorf("transcript checkpoint: %w", err)
	}
	if cp.Format != TranscriptFormat || cp.After == nil {
		return 0, nil // transcripts of another format, or an old checkpoint: fold everything again
	}
	return *cp.After, nil
}

// saveCheckpoint makes after the checkpoint, durably. Callers make the
// transcripts it covers durable first.
func saveCheckpoint(s TranscriptStore, after domain.After) error {
	raw, _ := json.Marshal(checkpoint{Format: TranscriptFormat, After: &after})
	return s.SaveCheckpoint(append(raw, '\n'))
}

// loadTranscript returns the stored transcript of id.
func loadTranscript(s TranscriptStore, id string) (*Transcript, error) {
	raw, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	var t Transcript
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("stored transcript of %s: %w", id, err)
	}
	return &t, nil
}

// renderBuffers keeps the buffers that transcripts are rendered into on
// their way to the store: a rebuild renders thousands, of tens of KB each.
var renderBuffers = sync.Pool{New: func() any { return new([]byte) }}

// storeTranscript renders t and stores it, durably or for the next barrier.
func storeTranscript(s TranscriptStore, t *Transcript, durable bool) error {
	buf := renderBuffers.Get().(*[]byte)
	defer renderBuffers.Put(buf)
	raw := AppendJSON((*buf)[:0], t)
	*buf = raw
	if durable {
		return s.Save(t.ConversationID, raw)
	}
	return s.Write(t.ConversationID, raw)
}
