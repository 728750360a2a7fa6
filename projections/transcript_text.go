package projections

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley/domain"
)

// ActivityLine is the quiet system line a transcript shows for an activity.
func ActivityLine(e TranscriptEntry) string {
	name := e.From.Name
	var line string
	switch e.ActivityType {
	case domain.ActivityParticipantJoined:
		line = name + " joined the conversation"
	case domain.ActivityParticipantLeft:
		line = name + " left the conversation"
	case domain.ActivityEndOfConversation:
		line = name + " ended the conversation"
	case domain.ActivityParticipantAdded:
		line = name + " added a participant"
	case domain.ActivityParticipantRemoved:
		line = name + " removed a participant"
	case domain.ActivityHandOff:
		line = name + " handed the conversation over"
	case domain.ActivityNoAgentAvailable:
		line = "No agent was available"
	case ActivityLostInRepair:
		line = "Lost in repair: an event here was damaged in storage and could not be read"
	case domain.ActivityGreetings:
		if e.Text != "" {
			return e.Text
		}
		line = "Greetings"
	default:
		line = name + ": " + e.ActivityType
	}
	if e.Text != "" {
		line += ": " + e.Text
	}
	return line
}

// RoleLabel is how a transcript names a role.
func RoleLabel(r domain.Role) string {
	if r == "" {
		return "participant"
	}
	return string(r)
}

// FormatDuration renders d as "1h 02m 03s", "2m 03s" or "3s".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %02dm %02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// FormatStamp renders an event timestamp as "2006-01-02 15:04:05 UTC"; a
// timestamp that does not parse is shown as stored.
func FormatStamp(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ts
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// EntryTime renders an entry's time as "15:04:05", with the date in front
// when the entry is on another day than the start.
func (t *Transcript) EntryTime(e TranscriptEntry) string {
	at, err := time.Parse(time.RFC3339Nano, e.Time)
	if err != nil {
		return e.Time
	}
	at = at.UTC()
	if start, err := time.Parse(time.RFC3339Nano, t.StartedAt); err == nil && start.UTC().Format(time.DateOnly) != at.Format(time.DateOnly) {
		return at.Format("2006-01-02 15:04:05")
	}
	return at.Format(time.TimeOnly)
}

// HeaderFields are the label and value pairs every rendering heads the
// transcript with, in order.
func (t *Transcript) HeaderFields() [][2]string {
	lang := t.Language
	if lang == "" {
		lang = "-"
	}
	return [][2]string{
		{"Conversation", t.ConversationID},
		{"Customer", t.Customer.Name},
		{"Channel", t.Channel},
		{"Language", lang},
		{"Started", FormatStamp(t.StartedAt)},
		{"Ended", FormatStamp(t.EndedAt)},
		{"Duration", FormatDuration(t.Duration())},
	}
}

// RenderText renders the transcript as plain text: the body of the
// transcript email and the txt type.
func RenderText(t *Transcript) []byte {
	t = t.Printable()
	var b bytes.Buffer
	b.WriteString("Chat transcript\n\n")
	for _, f := range t.HeaderFields() {
		fmt.Fprintf(&b, "%-13s %s\n", f[0]+":", f[1])
	}
	b.WriteString("Participants:\n")
	for _, p := range t.Participants {
		fmt.Fprintf(&b, "  %s (%s)\n", p.Name, RoleLabel(p.Role))
	}
	b.WriteString("\n")
	for _, e := range t.Entries {
		at := t.EntryTime(e)
		if e.IsActivity() {
			fmt.Fprintf(&b, "[%s] * %s\n", at, indent(ActivityLine(e)))
		} else {
			fmt.Fprintf(&b, "[%s] %s (%s):\n", at, e.From.Name, RoleLabel(e.From.Role))
			if e.Text != "" {
				fmt.Fprintf(&b, "    %s\n", indent(e.Text))
			}
		}
		for _, a := range e.Attachments {
			if link := AttachmentLink(a); link != "" {
				fmt.Fprintf(&b, "    Attachment: %s <%s>\n", AttachmentName(a), link)
			} else {
				fmt.Fprintf(&b, "    Attachment: %s\n", AttachmentName(a))
			}
		}
	}
	return b.Bytes()
}

// AttachmentName is the name an attachment is shown by.
func AttachmentName(a domain.Attachment) string {
	if a.Name != "" {
		return a.Name
	}
	if a.Type != "" {
		return "attachment (" + a.Type + ")"
	}
	return "attachment"
}

// AttachmentLink is the URL an attachment links to, or "" when it is not
// an http or https URL: data: URLs can be a megabyte long, and file: URLs
// name a path on some other machine.
func AttachmentLink(a domain.Attachment) string {
	u := strings.ToLower(a.ContentURL)
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return a.ContentURL
	}
	return ""
}

// indent keeps continuation lines of multi-line text under the first one.
func indent(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\n    ")
}
