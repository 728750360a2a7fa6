package projections

import (
	"fmt"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// TranscriptFormat is the version of the Transcript model and of what the
// renderers make of it. Raise it whenever either changes: stored transcripts
// of another format are rebuilt from the events, so the same history and
// format always give the same bytes.
const TranscriptFormat = 1

// Transcript is the customer's record of a finished conversation: every
// message and activity the customer could see, up to and including the end.
// Everything in it comes from the events, so folding the same history gives
// the same transcript.
type Transcript struct {
	Format         int                     `json:"format"`
	ConversationID string                  `json:"conversationId"`
	Channel        string                  `json:"channel"`
	Language       string                  `json:"language,omitempty"`
	Subject        string                  `json:"subject,omitempty"`
	Customer       TranscriptParticipant   `json:"customer"`
	StartedAt      string                  `json:"startedAt"`
	EndedAt        string                  `json:"endedAt"`
	Participants   []TranscriptParticipant `json:"participants"`
	Entries        []TranscriptEntry       `json:"entries"`
	// EndSequence is the sequence of the endOfConversation event; the
	// transcript covers the stream up to it and nothing after it.
	EndSequence uint64 `json:"endSequence"`
}

// TranscriptParticipant is someone who took part, with their role.
type TranscriptParticipant struct {
	ID   string      `json:"id"`
	Name string      `json:"name"`
	Role domain.Role `json:"role"`
}

// TranscriptEntry is one message or activity of a transcript.
type TranscriptEntry struct {
	Sequence     uint64                `json:"sequence"`
	Time         string                `json:"time"`
	Type         string                `json:"type"` // ChatMessage or ActivityMessage
	From         TranscriptParticipant `json:"from"`
	Text         string                `json:"text,omitempty"`
	ActivityType string                `json:"activityType,omitempty"`
	Attachments  []domain.Attachment   `json:"attachments,omitempty"`
}

// IsActivity reports whether the entry is an activity rather than a message.
func (e TranscriptEntry) IsActivity() bool { return e.Type == domain.TypeActivityMessage }

// Duration is the time from start to end, or 0 when either is unreadable.
func (t *Transcript) Duration() time.Duration {
	start, err1 := time.Parse(time.RFC3339Nano, t.StartedAt)
	end, err2 := time.Parse(time.RFC3339Nano, t.EndedAt)
	if err1 != nil || err2 != nil || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}

// TranscriptFold folds a conversation's events, in stream order, into its
// customer transcript. It is pure: no clock, no store.
type TranscriptFold struct {
	t       Transcript
	started bool
	ended   bool
	next    uint64
	seen    map[string]int // participant id -> index in t.Participants
}

// NewTranscriptFold returns the fold of a conversation with no events.
func NewTranscriptFold(conversationID string) *TranscriptFold {
	return &TranscriptFold{
		t:    Transcript{Format: TranscriptFormat, ConversationID: conversationID, Participants: []TranscriptParticipant{}, Entries: []TranscriptEntry{}},
		seen: map[string]int{},
	}
}

// Ended reports whether the endOfConversation event has been folded in.
func (f *TranscriptFold) Ended() bool { return f.ended }

// Started reports whether the ConversationStarted event has been folded in.
func (f *TranscriptFold) Started() bool { return f.started }

// Apply folds the next stored event of the conversation. Events after the
// end are ignored, so that the transcript does not depend on when it is
// built; so are events before the next expected sequence (replays). A gap
// is an error: the transcript must not silently miss a message.
func (f *TranscriptFold) Apply(rec domain.RecordedEvent) error {
	if f.ended || rec.Revision < f.next {
		return nil
	}
	if rec.Revision != f.next {
		return fmt.Errorf("transcript of %s: event %d follows %d", f.t.ConversationID, rec.Revision, int64(f.next)-1)
	}
	f.next++
	e, err := storedjson.DecodeEvent(rec)
	if err != nil {
		return err
	}
	switch e := e.(type) {
	case domain.ConversationStarted:
		f.started = true
		t := &f.t
		t.Channel, t.Language, t.Subject, t.StartedAt = e.Channel, e.Language, e.Subject, e.Timestamp
		t.Customer = TranscriptParticipant{ID: e.Customer.ParticipantID, Name: e.Customer.Personal.DisplayName(), Role: domain.RoleCustomer}
		f.participant(t.Customer)
	case domain.Message:
		f.applyMessage(e, rec.Revision)
	case domain.LostInRepair:
		// The event this stands in for is gone; the customer may have seen
		// it, so the transcript says a part is missing rather than skip it.
		f.t.Entries = append(f.t.Entries, TranscriptEntry{
			Sequence:     rec.Revision,
			Time:         domain.FormatTime(rec.Recorded),
			Type:         domain.TypeActivityMessage,
			From:         TranscriptParticipant{ID: domain.SystemParticipant.ID, Name: domain.SystemParticipant.Name, Role: domain.RoleSystem},
			ActivityType: ActivityLostInRepair,
		})
	}
	return nil
}

// ActivityLostInRepair is the activity type of the transcript entry that
// stands for an event a repair of the store found damaged and moved to
// quarantine (domain.LostInRepair).
const ActivityLostInRepair = "lostInRepair"

func (f *TranscriptFold) applyMessage(m domain.Message, seq uint64) {
	if m.Type == domain.TypeActivityMessage && m.ActivityType == domain.ActivityEndOfConversation {
		f.ended = true
		f.t.EndedAt = m.Timestamp
		f.t.EndSequence = seq
	}
	if !m.VisibleTo(f.t.Customer.ID, domain.RoleCustomer) || m.ActivityType == domain.ActivityTyping {
		return
	}
	from := f.participant(TranscriptParticipant{ID: m.From.ID, Name: m.From.Name, Role: m.From.Role})
	f.t.Entries = append(f.t.Entries, TranscriptEntry{
		Sequence:     seq,
		Time:         m.Timestamp,
		Type:         m.Type,
		From:         from,
		Text:         m.Text,
		ActivityType: m.ActivityType,
		Attachments:  m.Attachments,
	})
}

// participant records p the first time it appears and returns it as
// recorded, so that every entry shows a participant the same way; a name or
// role learnt later fills what was missing. Parley itself is no participant.
func (f *TranscriptFold) participant(p TranscriptParticipant) TranscriptParticipant {
	if p.Name == "" {
		p.Name = p.ID
	}
	if p.ID == domain.SystemParticipant.ID && p.Role == domain.RoleSystem {
		return p
	}
	i, ok := f.seen[p.ID]
	if !ok {
		f.seen[p.ID] = len(f.t.Participants)
		f.t.Participants = append(f.t.Participants, p)
		return p
	}
	known := &f.t.Participants[i]
	if known.Name == known.ID && p.Name != p.ID {
		known.Name = p.Name
	}
	if known.Role == "" {
		known.Role = p.Role
	}
	return *known
}

// Transcript returns the transcript folded so far. The result shares no
// memory with the fold.
func (f *TranscriptFold) Transcript() *Transcript {
	t := f.t
	t.Participants = append([]TranscriptParticipant{}, f.t.Participants...)
	t.Entries = append([]TranscriptEntry{}, f.t.Entries...)
	return &t
}

// FoldTranscript folds recs, a conversation's events from the first, into
// its transcript. It returns a *domain.Error with CodeNotFound when there is
// no conversation and CodeOngoing when it has not ended.
func FoldTranscript(conversationID string, recs []domain.RecordedEvent) (*Transcript, error) {
	f := NewTranscriptFold(conversationID)
	f.t.Entries = make([]TranscriptEntry, 0, len(recs))
	for _, rec := range recs {
		if err := f.Apply(rec); err != nil {
			return nil, err
		}
	}
	if !f.Started() {
		return nil, domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", conversationID)
	}
	if !f.Ended() {
		return nil, domain.Errorf(domain.CodeOngoing, "conversation %s has not ended; its transcript is available once it has", conversationID)
	}
	return &f.t, nil // the fold goes with this call: nothing else shares it
}
