package projections

import (
	"strings"

	"github.com/parley-chat/parley/domain"
)

// Printable returns the transcript with every control character that a
// renderer must not write raw replaced: line breaks become "\n", tab stays,
// and any other control character (C0, DEL, C1) becomes U+FFFD, visibly.
// Parley refuses such characters in new texts and names, but history
// written before it did may hold them, and every renderer (txt, html, json,
// pdf, the email's body) calls this first. A transcript that needs no change
// is returned as it is; otherwise a copy is, and t is left alone.
func (t *Transcript) Printable() *Transcript {
	if t.printable() {
		return t
	}
	c := *t
	c.ConversationID, c.Channel = printable(c.ConversationID), printable(c.Channel)
	c.Language, c.Subject = printable(c.Language), printable(c.Subject)
	c.StartedAt, c.EndedAt = printable(c.StartedAt), printable(c.EndedAt)
	c.Customer = c.Customer.printableCopy()
	c.Participants = make([]TranscriptParticipant, len(t.Participants))
	for i, p := range t.Participants {
		c.Participants[i] = p.printableCopy()
	}
	c.Entries = make([]TranscriptEntry, len(t.Entries))
	for i, e := range t.Entries {
		e.Time, e.Type, e.Text, e.ActivityType = printable(e.Time), printable(e.Type), printable(e.Text), printable(e.ActivityType)
		e.From = e.From.printableCopy()
		if len(e.Attachments) > 0 {
			as := make([]domain.Attachment, len(e.Attachments))
			for j, a := range e.Attachments {
				as[j] = domain.Attachment{Type: printable(a.Type), Name: printable(a.Name),
					ContentURL: printable(a.ContentURL), ThumbnailURL: printable(a.ThumbnailURL)}
			}
			e.Attachments = as
		}
		c.Entries[i] = e
	}
	return &c
}

// printable reports whether no string of t needs a change.
func (t *Transcript) printable() bool {
	ok := clean(t.ConversationID, t.Channel, t.Language, t.Subject, t.StartedAt, t.EndedAt) && t.Customer.clean()
	for _, p := range t.Participants {
		ok = ok && p.clean()
	}
	for _, e := range t.Entries {
		ok = ok && clean(e.Time, e.Type, e.Text, e.ActivityType) && e.From.clean()
		for _, a := range e.Attachments {
			ok = ok && clean(a.Type, a.Name, a.ContentURL, a.ThumbnailURL)
		}
	}
	return ok
}

func (p TranscriptParticipant) clean() bool { return clean(p.ID, p.Name, string(p.Role)) }

func (p TranscriptParticipant) printableCopy() TranscriptParticipant {
	return TranscriptParticipant{ID: printable(p.ID), Name: printable(p.Name), Role: domain.Role(printable(string(p.Role)))}
}

// clean reports whether none of ss holds a character printable changes.
func clean(ss ...string) bool {
	for _, s := range ss {
		if domain.ControlIndex(s) >= 0 || strings.IndexByte(s, '\r') >= 0 {
			return false
		}
	}
	return true
}

// printable returns s with "\r\n" and a lone "\r" as "\n", and every control
// character but tab and line feed as U+FFFD.
func printable(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
		case r == '\r':
			b.WriteByte('\n')
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
