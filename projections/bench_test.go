package projections_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/eventschemas"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/benchdata"
)

// conversation1000 returns the stored events of an ended conversation with
// 1,000 chat messages (1,006 events), as ReadStream hands them back.
func conversation1000(b *testing.B) (string, []domain.RecordedEvent) {
	b.Helper()
	const id = "5b0f3c2e-6a1d-4f7e-9c3b-2d8e1a4f6b70"
	evs, err := benchdata.Conversation(benchdata.Spec{ID: id, Channel: "web", Messages: 1000, Ended: true,
		Start: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	return id, benchdata.Recorded(domain.StreamName(id), evs)
}

// BenchmarkFoldInfo1000 measures building the conversation read model's
// index of a 1,000-message conversation from its history, as a join or GET
// /api/conversations/{id} does when the index is not cached.
func BenchmarkFoldInfo1000(b *testing.B) {
	id, recs := conversation1000(b)
	b.ReportAllocs()
	for b.Loop() {
		x := projections.NewIndex(id)
		for _, rec := range recs {
			if err := x.Apply(rec); err != nil {
				b.Fatalf("fold: %v", err)
			}
		}
		if x.Messages() != len(recs)-1 {
			b.Fatalf("the index holds %d messages of %d events", x.Messages(), len(recs))
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkFoldTranscript1000 measures folding the transcript of a finished
// 1,000-message conversation (the model, before any rendering).
func BenchmarkFoldTranscript1000(b *testing.B) {
	id, recs := conversation1000(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := projections.FoldTranscript(id, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPage500Long measures reading a page of 500 messages of 10,000
// characters from a schema-checked embedded store, as a join or GET
// /api/conversations/{id} does once the index is cached.
func BenchmarkPage500Long(b *testing.B) {
	store := openStoreB(b)
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		b.Fatal(err)
	}
	started, err := svc.Start(b.Context(), domain.StartConversation{Channel: "web", Personal: domain.PersonalData{RefID: "r"}}, domain.Metadata{})
	if err != nil {
		b.Fatal(err)
	}
	agent := domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}
	id := started.ConversationID
	if _, err := svc.Execute(b.Context(), id, domain.JoinConversation{Participant: agent}, domain.Metadata{}); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("0123456789", 1000)
	for range 600 {
		msg := domain.Message{Type: domain.TypeChatMessage, From: agent, Text: text}
		if _, err := svc.Execute(b.Context(), id, domain.PostMessage{Message: msg}, domain.Metadata{}); err != nil {
			b.Fatal(err)
		}
	}
	infos := projections.NewConversationInfos(store, 0)
	q := projections.Query{Since: -1, Before: -1, Limit: 500}
	if _, err := infos.Select(b.Context(), id, q); err != nil { // the index, outside the timer
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		pg, err := infos.Page(b.Context(), id, q)
		if err != nil || len(pg.Messages) != 500 {
			b.Fatalf("page: %v", err)
		}
	}
}

func openStoreB(b *testing.B) domain.EventStore {
	inner, err := diskstore.Open(b.TempDir(), diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	store := eventschemas.Checked(inner, eventschemas.MustLoad())
	b.Cleanup(func() { store.Close() })
	return store
}
