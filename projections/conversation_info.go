// Package projections folds event streams into read models.
package projections

import (
	"github.com/parley-chat/parley/domain"
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

// Info is the live view of one conversation: the data of the conversationInfo
// websocket event and of GET /api/conversations/{id}.
type Info struct {
	Conversation Summary           `json:"conversation"`
	Participants []ParticipantView `json:"participants"`
	Messages     []domain.Message  `json:"messages"`
	// Version is the sequence of the last event folded in; -1 before any.
	Version int64 `json:"version"`
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

// NewInfo returns the view of a conversation with no events.
func NewInfo(id string) *Info {
	return &Info{Conversation: Summary{ID: id}, Participants: []ParticipantView{}, Messages: []domain.Message{}, Version: -1}
}

// FoldInfo returns the view after every event of recs.
func FoldInfo(id string, recs []domain.RecordedEvent) (*Info, error) {
	info := NewInfo(id)
	for _, rec := range recs {
		if err := info.Apply(rec); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// Apply folds one stored event into the view. Events at or before Version
// are ignored, so replays are harmless.
func (in *Info) Apply(rec domain.RecordedEvent) error {
	if int64(rec.Revision) <= in.Version {
		return nil
	}
	e, err := domain.DecodeEvent(rec)
	if err != nil {
		return err
	}
	in.fold(int64(rec.Revision), e)
	return nil
}

// fold folds e, the decoded event at sequence rev, into the view; rev is
// after Version.
func (in *Info) fold(rev int64, e domain.Event) {
	in.Version = rev
	switch e := e.(type) {
	case domain.ConversationStarted:
		c := &in.Conversation
		c.Channel, c.Language, c.Subject, c.URL, c.Comment = e.Channel, e.Language, e.Subject, e.URL, e.Comment
		c.Fields = e.Fields
		c.Status = StatusActive
		c.StartedAt = e.Timestamp
		c.Customer = domain.Participant{ID: e.Customer.ParticipantID, Name: e.Customer.Personal.DisplayName(), Role: domain.RoleCustomer}
		in.Participants = append(in.Participants, ParticipantView{Participant: c.Customer, State: StateLeft})
	case domain.Message:
		in.Messages = append(in.Messages, e)
		in.applyActivity(e)
	}
}

func (in *Info) applyActivity(m domain.Message) {
	if m.Type != domain.TypeActivityMessage {
		return
	}
	switch m.ActivityType {
	case domain.ActivityParticipantJoined:
		p := in.participant(m.From)
		p.sockets++
		p.State = StateJoined
		if p.JoinedAt == "" {
			p.JoinedAt = m.Timestamp
		}
	case domain.ActivityParticipantLeft:
		p := in.participant(m.From)
		if p.sockets > 0 {
			p.sockets--
		}
		if p.sockets == 0 {
			p.State = StateLeft
			p.LeftAt = m.Timestamp
		}
	case domain.ActivityEndOfConversation:
		in.Conversation.Status = StatusEnded
		in.Conversation.EndedAt = m.Timestamp
	}
}

func (in *Info) participant(p domain.Participant) *ParticipantView {
	for i := range in.Participants {
		if in.Participants[i].ID == p.ID {
			return &in.Participants[i]
		}
	}
	in.Participants = append(in.Participants, ParticipantView{Participant: p, State: StateLeft})
	return &in.Participants[len(in.Participants)-1]
}

// Role returns the role of participant id, or "" when unknown.
func (in *Info) Role(id string) domain.Role {
	for _, p := range in.Participants {
		if p.ID == id {
			return p.Role
		}
	}
	return ""
}

// For returns a copy of the view as participant id with role may see it:
// only the messages visible to them, and only those after sequence since
// (all when since < 0).
func (in *Info) For(id string, role domain.Role, since int64) *Info {
	out := in.view(since, func(m domain.Message) bool { return m.VisibleTo(id, role) })
	if !role.IsStaff() {
		out.Conversation.Fields = nil
	}
	return out
}

// Copy returns the whole view, unaffected by later Apply calls on in.
func (in *Info) Copy() *Info {
	return in.view(-1, func(domain.Message) bool { return true })
}

func (in *Info) view(since int64, keep func(domain.Message) bool) *Info {
	out := &Info{Conversation: in.Conversation, Version: in.Version}
	out.Participants = append([]ParticipantView{}, in.Participants...)
	out.Messages = make([]domain.Message, 0, len(in.Messages))
	for _, m := range in.Messages {
		if int64(*m.Sequence) > since && keep(m) {
			out.Messages = append(out.Messages, m)
		}
	}
	return out
}
