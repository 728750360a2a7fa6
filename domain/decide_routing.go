package domain

import "encoding/json"

// PostSystemActivity stores an ActivityMessage written by Parley itself
// (from the system participant): the routing's handOff, noAgentAvailable,
// participantRemoved, and endOfConversation when a timer ends a
// conversation. An endOfConversation ends the conversation.
type PostSystemActivity struct {
	ActivityType string
	Info         json.RawMessage
	// AfterStartOnly stores the activity only as the conversation's second
	// event, right after its start, and otherwise nothing: the handOff
	// that queues a new conversation (ADR 29) is stored once, however
	// often and on however many nodes its init is repeated.
	AfterStartOnly bool
}

func (cmd PostSystemActivity) decide(c *Conversation, env Env) ([]Event, error) {
	if err := c.checkOpen(); err != nil {
		return nil, err
	}
	if cmd.AfterStartOnly && c.Version != 0 {
		return nil, nil
	}
	m := activity(c, env, SystemParticipant, cmd.ActivityType, FormatTime(env.Now))
	m.Info = cmd.Info
	return []Event{m}, nil
}

// ParticipantInfo is the info of participantAdded ({id, name, role}) and of
// participantRemoved ({id}).
type ParticipantInfo struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Role Role   `json:"role,omitempty"`
}

// participantInfo decodes the info of a participant activity; ok is false
// when it does not parse or names nobody.
func participantInfo(m Message) (ParticipantInfo, bool) {
	var p ParticipantInfo
	if err := json.Unmarshal(m.Info, &p); err != nil || p.ID == "" {
		return p, false
	}
	return p, true
}

// checkParticipantActivity checks the info of a participantAdded or
// participantRemoved sent by staff: added are staff members or bots,
// removed are participants other than the customer.
func (c *Conversation) checkParticipantActivity(m Message, limits Limits) error {
	if m.ActivityType != ActivityParticipantAdded && m.ActivityType != ActivityParticipantRemoved {
		return nil
	}
	p, ok := participantInfo(m)
	if !ok {
		return FieldError(CodeInvalid, "info.id", "%s needs info {\"id\"}", m.ActivityType)
	}
	if m.ActivityType == ActivityParticipantRemoved {
		known := c.Participants[p.ID]
		if known == nil {
			return FieldError(CodeInvalid, "info.id", "%s is not a participant of conversation %s", p.ID, c.ID)
		}
		if known.Role == RoleCustomer {
			return FieldError(CodeForbidden, "info.id", "the customer cannot be removed")
		}
		return nil
	}
	if p.Role != RoleAgent && p.Role != RoleBot && p.Role != RoleSupervisor {
		return FieldError(CodeInvalid, "info.role", "role must be agent, bot or supervisor, not %q", p.Role)
	}
	if known := c.Participants[p.ID]; known != nil && known.Role != p.Role {
		return FieldError(CodeForbidden, "info.role", "participant %s is %s in this conversation", p.ID, known.Role)
	}
	if c.Participants[p.ID] == nil && len(c.Participants) >= limits.MaxParticipants {
		return Errorf(CodeLimitExceeded, "conversation %s has %d participants, the most allowed", c.ID, limits.MaxParticipants)
	}
	return nil
}

// applyParticipantActivity folds participantAdded (the participant becomes
// known, not joined) and participantRemoved (its sockets no longer count:
// it must join again to send).
func (c *Conversation) applyParticipantActivity(m Message) {
	p, ok := participantInfo(m)
	if !ok {
		return
	}
	switch m.ActivityType {
	case ActivityParticipantAdded:
		if p.Name == "" {
			p.Name = p.ID
		}
		c.participant(Participant{ID: p.ID, Name: p.Name, Role: p.Role})
	case ActivityParticipantRemoved:
		if s := c.Participants[p.ID]; s != nil && s.Role != RoleCustomer {
			s.Sockets = 0
		}
	}
}
