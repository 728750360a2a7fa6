// Package projections folds event streams into read models.
package projections

import (
	"unsafe"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// Conversation statuses.
const (
	StatusActive = "active"
	StatusEnded  = "ended"
)

// Participant states.
const (
	StateJoined = "joined"
	StateLeft   = "left"
)

// Info is a page of the live view of one conversation: the data of GET
// /api/conversations/{id} and, with the page's messages, of the
// conversationInfo websocket event.
type Info struct {
	Conversation Summary           `json:"conversation"`
	Participants []ParticipantView `json:"participants"`
	// Version is the sequence of the last event folded in; -1 before any.
	Version int64 `json:"version"`
	// More tells that the conversation has messages beyond this page that
	// the query would select: older ones for a page of the newest messages
	// or of those before a sequence, newer ones for a page after since.
	More bool `json:"more"`
	// Before, when More is set on a page of the newest messages or of those
	// before a sequence, is the before of the page of older messages.
	Before *int64 `json:"before,omitempty"`
	// Since, when More is set on a page after since, is the since of the
	// page of newer messages.
	Since *int64 `json:"since,omitempty"`
	// LostInRepair holds the sequences of events that a repair of the store
	// found damaged and replaced with a placeholder (domain.LostInRepair).
	LostInRepair []int64 `json:"lostInRepair,omitempty"`
	// AsOf, on a view of the past (SelectAt), is the event it stands
	// right after; the live view has none.
	AsOf     *AsOf            `json:"asOf,omitempty"`
	Messages []domain.Message `json:"messages"`
}

// Summary describes a conversation.
type Summary struct {
	ID        string             `json:"id"`
	Channel   string             `json:"channel"`
	Language  string             `json:"language,omitempty"`
	Subject   string             `json:"subject,omitempty"`
	URL       string             `json:"url,omitempty"`
	Comment   string             `json:"comment,omitempty"`
	Status    string             `json:"status"`
	StartedAt string             `json:"startedAt,omitempty"`
	EndedAt   string             `json:"endedAt,omitempty"`
	Customer  domain.Participant `json:"customer"`
	// CustomerID is the customer's blind index: the same person on the same
	// channel has the same one in every conversation (ADR 41).
	CustomerID string `json:"customerId,omitempty"`
	// Fields are the init request's fields Parley does not know; staff
	// see them, the customer does not (For).
	Fields []domain.Field `json:"fields,omitempty"`
}

// ParticipantView is a participant with its role and joined/left state.
type ParticipantView struct {
	domain.Participant
	State    string `json:"state"`
	JoinedAt string `json:"joinedAt,omitempty"`
	LeftAt   string `json:"leftAt,omitempty"`
	sockets  int
}

// Index is what the conversation read model keeps of one conversation: its
// summary, its participants and, for each message, its sequence and who may
// see it, but not its text. Pages of messages are read from the store, so a
// long conversation costs the model tens of bytes a message, not its texts.
type Index struct {
	Conversation Summary
	Participants []ParticipantView
	// Version is the sequence of the last event folded in; -1 before any.
	Version int64
	// LostInRepair holds the sequences of placeholders of events lost in a
	// repair of the store.
	LostInRepair []int64

	refs  []messageRef
	bytes int64
}

// messageRef is what an Index keeps of one message.
type messageRef struct {
	seq int64
	id  string
	// from, to and whisper decide who may see the message.
	from    string
	to      []domain.Participant // ids only
	whisper bool
}

// Memory estimates, for the cache's byte budget.
const (
	indexOverhead = int64(unsafe.Sizeof(Index{})) + 256
	refSize       = int64(unsafe.Sizeof(messageRef{}))
	partSize      = int64(unsafe.Sizeof(domain.Participant{}))
	viewSize      = int64(unsafe.Sizeof(ParticipantView{}))
)

// NewIndex returns the index of a conversation with no events.
func NewIndex(id string) *Index {
	return &Index{Conversation: Summary{ID: id}, Participants: []ParticipantView{}, Version: -1, bytes: indexOverhead}
}

// Bytes estimates the memory the index holds.
func (x *Index) Bytes() int64 { return x.bytes }

// Messages returns how many messages the index holds.
func (x *Index) Messages() int { return len(x.refs) }

// Apply folds one stored event into the index. Events at or before Version
// are ignored, so replays are harmless.
func (x *Index) Apply(rec domain.RecordedEvent) error {
	if int64(rec.Revision) <= x.Version {
		return nil
	}
	e, err := storedjson.DecodeEvent(rec)
	if err != nil {
		return err
	}
	x.fold(int64(rec.Revision), e)
	return nil
}

// fold folds e, the decoded event at sequence rev, into the index; rev is
// after Version.
func (x *Index) fold(rev int64, e domain.Event) {
	x.Version = rev
	switch e := e.(type) {
	case domain.ConversationStarted:
		c := &x.Conversation
		c.Channel, c.Language, c.Subject, c.URL, c.Comment = e.Channel, e.Language, e.Subject, e.URL, e.Comment
		c.Fields = e.Fields
		for _, f := range e.Fields {
			x.bytes += 32 + int64(len(f.Name)+len(f.Value))
		}
		c.Status = StatusActive
		c.StartedAt = e.Timestamp
		c.Customer = domain.Participant{ID: e.Customer.ParticipantID, Name: e.Customer.Personal.DisplayName(), Role: domain.RoleCustomer}
		c.CustomerID = e.Customer.CustomerID
		x.Participants = append(x.Participants, ParticipantView{Participant: c.Customer, State: StateLeft})
		x.bytes += viewSize + int64(len(c.Channel)+len(c.Language)+len(c.Subject)+len(c.URL)+len(c.Comment)+len(c.StartedAt)+2*len(c.Customer.ID)+2*len(c.Customer.Name))
	case domain.Message:
		x.addRef(rev, e)
		x.applyActivity(e)
	case domain.LostInRepair:
		x.LostInRepair = append(x.LostInRepair, rev)
		x.bytes += 8
	case domain.PersonalDataErased:
		x.erase()
	}
}

// addRef keeps what finds m and decides who may see it. Decoded strings are
// copies of their own, so keeping them keeps nothing else of the event alive.
func (x *Index) addRef(rev int64, m domain.Message) {
	r := messageRef{seq: rev, id: m.ID, from: m.From.ID, whisper: m.IsWhisper()}
	x.bytes += refSize + int64(len(r.id)+len(r.from))
	if len(m.To) > 0 {
		r.to = make([]domain.Participant, len(m.To))
		for i, p := range m.To {
			r.to[i].ID = p.ID
			x.bytes += partSize + int64(len(p.ID))
		}
	}
	x.refs = append(x.refs, r)
}

// visibleTo tells whether the participant id with role may see the message,
// by domain.Message's own rule.
func (r *messageRef) visibleTo(id string, role domain.Role) bool {
	m := domain.Message{From: domain.Participant{ID: r.from}, To: r.to}
	if r.whisper {
		m.Tag = domain.TagWhisper
	}
	return m.VisibleTo(id, role)
}

func (x *Index) applyActivity(m domain.Message) {
	if m.Type != domain.TypeActivityMessage {
		return
	}
	switch m.ActivityType {
	case domain.ActivityParticipantJoined:
		p := x.participant(m.From)
		p.sockets++
		p.State = StateJoined
		if p.JoinedAt == "" {
			p.JoinedAt = m.Timestamp
		}
	case domain.ActivityParticipantLeft:
		p := x.participant(m.From)
		if p.sockets > 0 {
			p.sockets--
		}
		if p.sockets == 0 {
			p.State = StateLeft
			p.LeftAt = m.Timestamp
		}
	case domain.ActivityEndOfConversation:
		x.Conversation.Status = StatusEnded
		x.Conversation.EndedAt = m.Timestamp
	}
	x.applyRouting(m)
}

func (x *Index) participant(p domain.Participant) *ParticipantView {
	for i := range x.Participants {
		if x.Participants[i].ID == p.ID {
			return &x.Participants[i]
		}
	}
	x.Participants = append(x.Participants, ParticipantView{Participant: p, State: StateLeft})
	x.bytes += viewSize + int64(len(p.ID)+len(p.Name)) + 64 // and the two timestamps
	return &x.Participants[len(x.Participants)-1]
}

// FoldInfo returns the whole view after every event of recs, with every
// message: the reference a page is checked against.
func FoldInfo(id string, recs []domain.RecordedEvent) (*Info, error) {
	x := NewIndex(id)
	msgs := []domain.Message{}
	for _, rec := range recs {
		if int64(rec.Revision) <= x.Version {
			continue
		}
		e, err := storedjson.DecodeEvent(rec)
		if err != nil {
			return nil, err
		}
		x.fold(int64(rec.Revision), e)
		if m, ok := e.(domain.Message); ok {
			msgs = append(msgs, m)
		}
	}
	return &Info{Conversation: x.Conversation, Participants: x.Participants, Version: x.Version, LostInRepair: x.LostInRepair, Messages: msgs}, nil
}
