package personaldata_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/adapters/keyfile"
	"github.com/parley-chat/parley/adapters/personaldata"
	"github.com/parley-chat/parley/domain"
)

// memStore keeps the events of one benchmark in memory, so that the
// benchmarks time the sealing and opening alone, not a disk.
type memStore struct {
	domain.EventStore // only Append and ReadStream are called
	events            []domain.RecordedEvent
}

func (m *memStore) Append(_ context.Context, stream string, _ domain.ExpectedRevision, evs []domain.EventData) (domain.AppendResult, error) {
	for _, e := range evs {
		m.events = append(m.events, domain.RecordedEvent{ID: e.ID, Stream: stream, Type: e.Type, Revision: uint64(len(m.events)),
			Position: uint64(len(m.events) + 1), Data: e.Data, Metadata: e.Metadata})
	}
	return domain.AppendResult{NextRevision: uint64(len(m.events) - 1)}, nil
}

func (m *memStore) ReadStream(_ context.Context, _ string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	out := make([]domain.RecordedEvent, 0, max)
	for _, e := range m.events[from:] {
		if len(out) == max {
			break
		}
		out = append(out, e)
	}
	return out, nil
}

func (m *memStore) Close() error { return nil }

// benchStore returns a store over mem with the key file in dir.
func benchStore(b *testing.B, mem *memStore, dir string) *personaldata.Store {
	keys, err := keyfile.Open(filepath.Join(dir, keyfile.Name))
	if err != nil {
		b.Fatal(err)
	}
	s, err := personaldata.New(personaldata.Config{Store: mem, Keys: keys, Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchConversation returns an empty memory store, a directory for keys,
// and a conversation's events up to the customer's first chat message.
func benchConversation(b *testing.B) (*memStore, string, []domain.EventData) {
	events := conversation(b, "c1", "Ada", "ada@example.com", "Hello, I would like to change the address of my order, please.")
	for i, e := range events {
		if e.Type == domain.EventChatMessage {
			return &memStore{}, b.TempDir(), events[:i+1]
		}
	}
	b.Fatal("no chat message")
	return nil, "", nil
}

// BenchmarkSealMessage is what the store adds to appending a customer's
// chat message: decoding it, sealing the name and the text with
// AES-256-GCM and encoding it again.
func BenchmarkSealMessage(b *testing.B) {
	mem, dir, events := benchConversation(b)
	s := benchStore(b, mem, dir)
	defer s.Close()
	ctx := context.Background()
	n := len(events) - 1
	if _, err := s.Append(ctx, domain.StreamName("c1"), domain.Any(), events[:n]); err != nil {
		b.Fatal(err)
	}
	msg := events[n]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Append(ctx, domain.StreamName("c1"), domain.Any(), []domain.EventData{msg}); err != nil {
			b.Fatal(err)
		}
		mem.events = mem.events[:n]
	}
}

// BenchmarkOpenMessage is what reading it costs where it was not sealed
// (another node, a restart): the values opened and the message encoded
// again. The node that sealed it hands out the plain bytes it kept.
func BenchmarkOpenMessage(b *testing.B) {
	mem, dir, events := benchConversation(b)
	writer := benchStore(b, mem, dir)
	ctx := context.Background()
	if _, err := writer.Append(ctx, domain.StreamName("c1"), domain.Any(), events); err != nil {
		b.Fatal(err)
	}
	writer.Close()
	reader := benchStore(b, mem, dir)
	defer reader.Close()
	b.ReportAllocs()
	for b.Loop() {
		recs, err := reader.ReadStream(ctx, domain.StreamName("c1"), domain.Revision(len(events)-1), 1)
		if err != nil || len(recs) != 1 {
			b.Fatal(err)
		}
	}
}
