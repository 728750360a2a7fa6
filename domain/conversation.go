package domain

// Conversation is the state the decider needs, folded from a conversation's
// events. It holds only what rules are checked against; read models live in
// projections.
type Conversation struct {
	ID string
	// Version is the revision of the last folded event; -1 before any.
	Version int64
	Started bool
	Ended   bool
	// Start is the ConversationStarted event, once folded.
	Start    ConversationStarted
	Channel  string
	Customer Participant
	// Participants by id: everyone who ever joined or was addressed.
	Participants map[string]*ParticipantState
	// Messages maps every stored message id to its sequence, so that a
	// resend of the same id is recognised and never stored twice.
	Messages MessageIDs
}

// ParticipantState is a participant as the rules see it.
type ParticipantState struct {
	Participant
	// Sockets counts joins minus leaves: a participant may be connected from
	// several sockets at once and stays joined until the last one leaves.
	Sockets int
	// Greeted is set once a greetings message was addressed to the
	// participant: reconnects are not greeted again.
	Greeted bool
}

// Joined reports whether the participant is currently in the conversation.
func (p *ParticipantState) Joined() bool { return p.Sockets > 0 }

// NewConversation returns the state of a conversation with no events.
func NewConversation(id string) *Conversation {
	return &Conversation{
		ID:           id,
		Version:      -1,
		Participants: map[string]*ParticipantState{},
		Messages:     newMessageIDs(),
	}
}

// Fold returns the state after every event of recs, in order.
func Fold(id string, recs []RecordedEvent) (*Conversation, error) {
	c := NewConversation(id)
	for _, rec := range recs {
		if err := c.ApplyRecorded(rec); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ApplyRecorded decodes a stored event and applies it.
func (c *Conversation) ApplyRecorded(rec RecordedEvent) error {
	e, err := DecodeEvent(rec)
	if err != nil {
		return err
	}
	c.Apply(rec.Revision, e)
	return nil
}

// Apply evolves the state by one event stored at revision rev. It never
// fails: rules are checked when deciding, and unknown events are ignored.
func (c *Conversation) Apply(rev Revision, e Event) {
	c.Version = int64(rev)
	switch e := e.(type) {
	case ConversationStarted:
		c.Started = true
		c.Start = e
		c.Channel = e.Channel
		c.Customer = Participant{ID: e.Customer.ParticipantID, Name: e.Customer.Personal.DisplayName(), Role: RoleCustomer}
		c.Participants[c.Customer.ID] = &ParticipantState{Participant: c.Customer}
	case Message:
		c.Messages.add(e.ID, rev)
		c.applyActivity(e)
	case PersonalDataErased:
		c.applyErased()
	}
}

func (c *Conversation) applyActivity(m Message) {
	if m.Type != TypeActivityMessage {
		return
	}
	switch m.ActivityType {
	case ActivityParticipantJoined:
		p := c.participant(m.From)
		p.Sockets++
	case ActivityParticipantLeft:
		if p := c.Participants[m.From.ID]; p != nil && p.Sockets > 0 {
			p.Sockets--
		}
	case ActivityGreetings:
		for _, p := range m.To {
			c.participant(p).Greeted = true
		}
	case ActivityEndOfConversation:
		c.Ended = true
	case ActivityParticipantAdded, ActivityParticipantRemoved:
		c.applyParticipantActivity(m)
	}
}

// participant returns the state of p, adding it when it is new.
func (c *Conversation) participant(p Participant) *ParticipantState {
	if s, ok := c.Participants[p.ID]; ok {
		return s
	}
	s := &ParticipantState{Participant: p}
	c.Participants[p.ID] = s
	return s
}

// Role returns the role of the participant with id, or "" when unknown.
func (c *Conversation) Role(id string) Role {
	if p, ok := c.Participants[id]; ok {
		return p.Role
	}
	return ""
}
