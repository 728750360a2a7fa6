package domain

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// clientActivities are the activity types a client may post; the others are
// written by the server as a consequence of joins, leaves and ends.
var clientActivities = map[string]bool{
	ActivityTyping:             true,
	ActivityHandOff:            true,
	ActivityNoAgentAvailable:   true,
	ActivityParticipantAdded:   true,
	ActivityParticipantRemoved: true,
}

func (cmd PostMessage) decide(c *Conversation, env Env) ([]Event, error) {
	if err := c.checkOpen(); err != nil {
		return nil, err
	}
	m := cmd.Message
	if m.ID != "" {
		if seq, ok := c.Messages.Get(m.ID); ok {
			return nil, &DuplicateMessageError{ID: m.ID, Sequence: seq}
		}
		if !IsUUID(m.ID) {
			return nil, FieldError(CodeInvalidMessage, "id", "message id must be a UUID, got %q", m.ID)
		}
	} else {
		m.ID = env.NewID()
	}
	if m.ConversationID != "" && m.ConversationID != c.ID {
		return nil, FieldError(CodeInvalidMessage, "conversationId", "message is for conversation %s, not %s", m.ConversationID, c.ID)
	}
	m.ConversationID = c.ID
	sender := c.Participants[m.From.ID]
	if sender == nil || !sender.Joined() {
		return nil, Errorf(CodeNotParticipant, "participant %s has not joined conversation %s", m.From.ID, c.ID)
	}
	m.From = sender.Participant
	if m.Tag != "" && m.Tag != TagWhisper {
		return nil, FieldError(CodeInvalidMessage, "tag", "tag must be %q or empty, got %q", TagWhisper, m.Tag)
	}
	if m.IsWhisper() && !sender.Role.IsStaff() {
		return nil, FieldError(CodeForbidden, "tag", "only staff may whisper")
	}
	for _, p := range m.To {
		if err := CheckText("to.name", p.Name); err != nil {
			return nil, err
		}
	}
	to, err := c.recipients(m.To)
	if err != nil {
		return nil, err
	}
	m.To = to
	if len(m.Info) > 0 && !isJSONObject(m.Info) {
		return nil, FieldError(CodeInvalidMessage, "info", "info must be a JSON object")
	}
	if err := checkAttachments(m.Attachments, env.Limits); err != nil {
		return nil, err
	}
	if n := runeCount(m.Text); n > env.Limits.MaxTextLength {
		return nil, FieldError(CodeInvalidMessage, "text", "text has %d characters, more than the limit of %d", n, env.Limits.MaxTextLength)
	}
	if err := CheckMessageTexts(m); err != nil {
		return nil, err
	}
	m.Timestamp = FormatTime(env.Now)
	m.Sequence = nil

	switch m.Type {
	case TypeChatMessage:
		if strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 {
			return nil, FieldError(CodeInvalidMessage, "text", "a ChatMessage needs text or attachments")
		}
		m.ActivityType = ""
	case TypeActivityMessage:
		if m.ActivityType == ActivityEndOfConversation {
			return EndConversation{By: m.From}.decide(c, env)
		}
		if !clientActivities[m.ActivityType] {
			return nil, FieldError(CodeInvalidMessage, "activityType", "activityType %q cannot be sent by a client", m.ActivityType)
		}
		if m.ActivityType != ActivityTyping && !sender.Role.IsStaff() {
			return nil, FieldError(CodeForbidden, "activityType", "only staff may send %s", m.ActivityType)
		}
		if err := c.checkParticipantActivity(m, env.Limits); err != nil {
			return nil, err
		}
	default:
		return nil, FieldError(CodeInvalidMessage, "type", "type must be %s or %s, got %q", TypeChatMessage, TypeActivityMessage, m.Type)
	}
	return []Event{m}, nil
}

// recipients resolves the To list against the conversation's participants.
func (c *Conversation) recipients(to []Participant) ([]Participant, error) {
	if len(to) == 0 {
		return nil, nil
	}
	out := make([]Participant, 0, len(to))
	for _, p := range to {
		known := c.Participants[p.ID]
		if known == nil {
			return nil, FieldError(CodeInvalidMessage, "to", "recipient %q is not a participant of conversation %s", p.ID, c.ID)
		}
		out = append(out, known.Participant)
	}
	return out, nil
}

func checkAttachments(as []Attachment, limits Limits) error {
	if len(as) > limits.MaxAttachments {
		return FieldError(CodeInvalidMessage, "attachments", "%d attachments, more than the limit of %d", len(as), limits.MaxAttachments)
	}
	for _, a := range as {
		if a.ContentURL == "" {
			return FieldError(CodeInvalidMessage, "attachments.contentUrl", "an attachment needs a contentUrl")
		}
		for _, raw := range []string{a.ContentURL, a.ThumbnailURL} {
			if raw == "" {
				continue
			}
			u, err := url.Parse(raw)
			if err != nil {
				return FieldError(CodeInvalidMessage, "attachments.contentUrl", "attachment URL %q does not parse", raw)
			}
			switch strings.ToLower(u.Scheme) {
			case "http", "https", "file", "data":
			default:
				return FieldError(CodeInvalidMessage, "attachments.contentUrl", "attachment URL scheme must be http, https, file or data, got %q", u.Scheme)
			}
		}
	}
	return nil
}

// isJSONObject reports whether raw is one JSON object. It checks the bytes
// instead of decoding them: info rides on every message of some clients,
// and decoding it into a map only to throw the map away cost a tenth of
// deciding a message.
func isJSONObject(raw json.RawMessage) bool {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(raw)
}

// CheckMessageTexts refuses control characters in what a message shows:
// its text, its sender's name and its attachments' names. The service
// checks them before it starts a conversation for a channel message, so
// that a bad message starts nothing.
func CheckMessageTexts(m Message) error {
	if err := CheckText("text", m.Text); err != nil {
		return err
	}
	if err := CheckText("from.name", m.From.Name); err != nil {
		return err
	}
	for _, a := range m.Attachments {
		if err := CheckText("attachments.name", a.Name); err != nil {
			return err
		}
	}
	return nil
}
