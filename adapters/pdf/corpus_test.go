package pdf_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

const (
	convID     = "7d1c9f2e-5b3a-4e6d-8c1f-2a9b7e4d6c01"
	customerID = "c-ada"
)

var (
	customer = domain.Participant{ID: customerID, Name: "Ada Lovelace", Role: domain.RoleCustomer}
	agent    = domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}
	sup      = domain.Participant{ID: "sup-1", Name: "Σοφία Παπαδοπούλου", Role: domain.RoleSupervisor}
)

// corpusTexts are the visible messages of the multilingual corpus.
var corpusTexts = []string{
	"Hello, I have a question about my order.",
	"Bonjour ! Voilà où j'ai trouvé ça : l'été dernier, à Noël, garçon, élève, Œuvre.",
	"Καλημέρα, πώς μπορώ να σας βοηθήσω σήμερα;",
	"Здравствуйте! Чем я могу вам помочь сегодня?",
	"مرحبا، كيف يمكنني مساعدتك اليوم؟",
	"שלום, איך אפשר לעזור לך היום?",
	longText(5000),
}

// whisperText must never reach the customer's transcript.
const whisperText = "SECRET-WHISPER customer seems annoyed, offer a voucher"

// longText returns n characters of words, so that it wraps over lines and
// pages; every word is distinct, so a lost or repeated line shows.
func longText(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "word%04d ", i)
	}
	return strings.TrimSpace(b.String()[:n])
}

// history is a recorded conversation for tests: the events a real chat
// stores, with the store's sequence numbers.
type history struct {
	t    testing.TB
	recs []domain.RecordedEvent
	at   time.Time
}

func newHistory(t testing.TB, id string) *history {
	h := &history{t: t, at: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	h.add(domain.ConversationStarted{
		ConversationID: id, Channel: "web", Language: "en", Timestamp: domain.FormatTime(h.at),
		Customer: domain.Customer{ParticipantID: customerID, Personal: domain.PersonalData{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}},
	})
	return h
}

func (h *history) add(e domain.Event) {
	h.t.Helper()
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(h.recs))
	if m, ok := e.(domain.Message); ok {
		m.ID, m.Timestamp = id, domain.FormatTime(h.at)
		e = m
	}
	d, err := domain.EncodeEvent(id, e, domain.Metadata{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.recs = append(h.recs, domain.RecordedEvent{ID: id, Stream: domain.StreamName(convID), Type: d.Type, Revision: uint64(len(h.recs)), Position: uint64(len(h.recs) + 1), Data: d.Data, Metadata: d.Metadata, Recorded: h.at})
	h.at = h.at.Add(7 * time.Second)
}

func (h *history) say(from domain.Participant, text string) {
	h.add(domain.Message{ConversationID: convID, Type: domain.TypeChatMessage, From: from, Text: text})
}

func (h *history) activity(from domain.Participant, kind string) {
	h.add(domain.Message{ConversationID: convID, Type: domain.TypeActivityMessage, From: from, ActivityType: kind})
}

func (h *history) transcript() *projections.Transcript {
	h.t.Helper()
	t, err := projections.FoldTranscript(convID, h.recs)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// corpus is the multilingual conversation: every script the README claims,
// a whisper, a message to staff only, an attachment, and a long message.
func corpus(t testing.TB) *projections.Transcript {
	h := newHistory(t, convID)
	h.activity(customer, domain.ActivityParticipantJoined)
	h.activity(agent, domain.ActivityParticipantJoined)
	h.activity(sup, domain.ActivityParticipantJoined)
	for i, text := range corpusTexts {
		from := customer
		if i%2 == 1 {
			from = agent
		}
		h.say(from, text)
	}
	h.add(domain.Message{ConversationID: convID, Type: domain.TypeChatMessage, From: agent, Tag: domain.TagWhisper, Text: whisperText})
	h.add(domain.Message{ConversationID: convID, Type: domain.TypeChatMessage, From: sup, To: []domain.Participant{agent}, Text: "STAFF-ONLY note"})
	h.add(domain.Message{ConversationID: convID, Type: domain.TypeChatMessage, From: agent, Text: "Here is the invoice.",
		Attachments: []domain.Attachment{{Type: "application/pdf", Name: "invoice-1042.pdf", ContentURL: "https://files.example.com/invoice-1042.pdf"}},
		Info:        json.RawMessage(`{}`)})
	h.say(customer, "Symbols: € £ ¥ © ® ™ → ← ★ ✓ and an emoji 😀 the font lacks.")
	h.activity(agent, domain.ActivityEndOfConversation)
	return h.transcript()
}
