package domain

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// ChannelWeb is the channel of the web widget, the only one no connector
// carries.
const ChannelWeb = "web"

func (cmd StartConversation) decide(c *Conversation, env Env) ([]Event, error) {
	if c.Started {
		prev := c.Start
		if cmd.RequestID != "" && prev.RequestID == cmd.RequestID && prev.Channel == cmd.Channel &&
			prev.Customer.Personal.identity() == cmd.Personal.identity() {
			return nil, &AlreadyStartedError{Started: prev}
		}
		return nil, Errorf(CodeConflict, "conversation %s exists already", c.ID)
	}
	if strings.TrimSpace(cmd.Channel) == "" {
		return nil, FieldError(CodeInvalid, "channel", "channel is required")
	}
	p := cmd.Personal
	if cmd.Channel != ChannelWeb && p.RefID == "" && p.Phone != "" {
		// "Normally phone number is used as refId": a connector needs a
		// number to send the customer's messages to.
		p.RefID = p.Phone
	}
	if err := checkFields(cmd.Fields); err != nil {
		return nil, err
	}
	if cmd.ClientTimestamp != "" {
		if _, err := time.Parse(time.RFC3339, cmd.ClientTimestamp); err != nil {
			return nil, FieldError(CodeInvalid, "timestamp", "timestamp must be ISO 8601 as RFC 3339, with a zone: 2026-11-23T10:00:00Z, not %q", Clip(cmd.ClientTimestamp))
		}
	}
	if err := CheckText("firstName", p.FirstName); err != nil {
		return nil, err
	}
	if err := CheckText("lastName", p.LastName); err != nil {
		return nil, err
	}
	if p.RefID == "" && p.Phone == "" && p.Email == "" {
		return nil, FieldError(CodeInvalid, "refId", "at least one identifier is required: refId, phone or email")
	}
	if p.Email != "" {
		addr, err := mail.ParseAddress(p.Email)
		if err != nil {
			return nil, FieldError(CodeInvalid, "email", "email %q is not a valid address", p.Email)
		}
		p.Email = addr.Address // "Ada <ada@example.com>" is stored as the address alone
	}
	return []Event{ConversationStarted{
		ConversationID:  cmd.ConversationID,
		Channel:         cmd.Channel,
		Language:        cmd.Language,
		Subject:         cmd.Subject,
		URL:             cmd.URL,
		Comment:         cmd.Comment,
		RequestID:       cmd.RequestID,
		ClientTimestamp: cmd.ClientTimestamp,
		Timestamp:       FormatTime(env.Now),
		Customer:        Customer{ParticipantID: cmd.CustomerID, Personal: p},
		Fields:          cmd.Fields,
	}}, nil
}

// checkFields holds fields Parley does not know to the limits their schema
// sets, naming the field at fault.
func checkFields(fields []Field) error {
	for i, f := range fields {
		switch {
		case i >= MaxFields:
			return FieldError(CodeInvalid, f.Name, "at most %d fields that Parley does not know are kept; %s is one more", MaxFields, Clip(f.Name))
		case f.Name == "" || len(f.Name) > MaxFieldNameBytes || ControlIndex(f.Name) >= 0:
			return FieldError(CodeInvalid, Clip(f.Name), "a field name must be 1 to %d bytes without control characters", MaxFieldNameBytes)
		case len(f.Value) > MaxFieldBytes:
			return FieldError(CodeInvalid, f.Name, "%s is longer than %d bytes", Clip(f.Name), MaxFieldBytes)
		}
	}
	return nil
}

func (cmd JoinConversation) decide(c *Conversation, env Env) ([]Event, error) {
	if err := c.checkOpen(); err != nil {
		return nil, err
	}
	p := cmd.Participant
	if strings.TrimSpace(p.ID) == "" {
		return nil, FieldError(CodeInvalid, "id", "participant id is required")
	}
	if ControlIndex(p.ID) >= 0 {
		return nil, FieldError(CodeInvalid, "id", "participant id holds a control character")
	}
	if err := CheckText("name", p.Name); err != nil {
		return nil, err
	}
	switch {
	case p.ID == c.Customer.ID:
		if p.Role != "" && p.Role != RoleCustomer {
			return nil, FieldError(CodeInvalid, "role", "the customer joins as customer, not %s", p.Role)
		}
		p.Role = RoleCustomer
		if p.Name == "" {
			p.Name = c.Customer.Name
		}
	case p.Role == "":
		p.Role = RoleAgent
	case p.Role == RoleCustomer:
		return nil, FieldError(CodeForbidden, "role", "only the conversation's customer may join as customer")
	case p.Role != RoleAgent && p.Role != RoleBot && p.Role != RoleSupervisor:
		return nil, FieldError(CodeInvalid, "role", "role must be agent, bot or supervisor, not %q", p.Role)
	}
	if known := c.Participants[p.ID]; known != nil && known.Role != p.Role {
		return nil, FieldError(CodeForbidden, "role", "participant %s is %s in this conversation", p.ID, known.Role)
	}
	if c.Participants[p.ID] == nil && len(c.Participants) >= env.Limits.MaxParticipants {
		return nil, Errorf(CodeLimitExceeded, "conversation %s has %d participants, the most allowed", c.ID, env.Limits.MaxParticipants)
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	now := FormatTime(env.Now)
	events := []Event{activity(c, env, p, ActivityParticipantJoined, now)}
	if known := c.Participants[p.ID]; known == nil || !known.Greeted {
		g := activity(c, env, SystemParticipant, ActivityGreetings, now)
		g.To = []Participant{p}
		g.Text = greeting(env, c, p)
		events = append(events, g)
	}
	return events, nil
}

func (cmd LeaveConversation) decide(c *Conversation, env Env) ([]Event, error) {
	if err := c.checkOpen(); err != nil {
		return nil, err
	}
	p := c.Participants[cmd.Participant.ID]
	if p == nil || !p.Joined() {
		return nil, Errorf(CodeNotParticipant, "participant %s has not joined conversation %s", cmd.Participant.ID, c.ID)
	}
	return []Event{activity(c, env, p.Participant, ActivityParticipantLeft, FormatTime(env.Now))}, nil
}

func (cmd EndConversation) decide(c *Conversation, env Env) ([]Event, error) {
	if err := c.checkOpen(); err != nil {
		return nil, err
	}
	p := c.Participants[cmd.By.ID]
	if p == nil || !p.Joined() && !p.Role.IsStaff() {
		return nil, Errorf(CodeNotParticipant, "participant %s has not joined conversation %s", cmd.By.ID, c.ID)
	}
	return []Event{activity(c, env, p.Participant, ActivityEndOfConversation, FormatTime(env.Now))}, nil
}

// greeting is the greetings text for p: in the conversation's language for
// the customer, in English for staff.
func greeting(env Env, c *Conversation, p Participant) string {
	language := ""
	if p.Role == RoleCustomer {
		language = c.Start.Language
	}
	if env.Greeting == nil {
		return "Welcome, " + p.Name + "."
	}
	return env.Greeting(language, p.Name)
}

// activity builds an ActivityMessage written by the server.
func activity(c *Conversation, env Env, from Participant, kind, now string) Message {
	return Message{
		ID:             env.NewID(),
		ConversationID: c.ID,
		Type:           TypeActivityMessage,
		From:           from,
		ActivityType:   kind,
		Timestamp:      now,
	}
}

// checkOpen refuses commands on conversations that do not exist or are over.
func (c *Conversation) checkOpen() error {
	if !c.Started {
		return Errorf(CodeNotFound, "conversation %s does not exist", c.ID)
	}
	if c.Ended {
		return Errorf(CodeEnded, "conversation %s has ended", c.ID)
	}
	return nil
}

// IsUUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
				return false
			}
		}
	}
	return true
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }
