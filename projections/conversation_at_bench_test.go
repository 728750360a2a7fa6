package projections_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/projections"
)

// BenchmarkPastViewOf10000 reads the view of a conversation of 10,000
// events as it was after its last one: the whole prefix is read and folded.
func BenchmarkPastViewOf10000(b *testing.B) {
	store := openStoreB(b)
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		b.Fatal(err)
	}
	started, err := svc.Start(b.Context(), domain.StartConversation{Channel: "web", Personal: domain.PersonalData{FirstName: "Ada", Email: "a@example.com"}}, domain.Metadata{})
	if err != nil {
		b.Fatal(err)
	}
	id := started.ConversationID
	do := func(cmd domain.Command) {
		if _, err := svc.Execute(b.Context(), id, cmd, domain.Metadata{}); err != nil {
			b.Fatal(err)
		}
	}
	cus := domain.Participant{ID: started.Customer.ParticipantID}
	do(domain.JoinConversation{Participant: cus})
	do(domain.JoinConversation{Participant: agent})
	for i := 0; i < 10000-5; i++ {
		do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: cus, Text: fmt.Sprintf("message number %d of a long chat", i)}})
	}
	q := projections.Query{Since: -1, Before: -1}
	b.ResetTimer()
	for b.Loop() {
		if _, err := projections.PageAt(b.Context(), store, id, projections.AtSequence(1<<40), q); err != nil {
			b.Fatal(err)
		}
	}
}
