package projections

import (
	"strconv"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/jsonenc"
)

// RenderJSON renders the transcript as indented JSON: the stored form and
// the json type. The bytes are json.MarshalIndent(t, "", "  ")'s and a
// newline (TestRenderJSONMatchesEncodingJSON and FuzzRenderJSON hold it to
// that), written without reflection because rendering with
// encoding/json, which marshals and then indents again, was a fifth of the
// CPU of rebuilding the projection.
func RenderJSON(t *Transcript) []byte {
	return AppendJSON(make([]byte, 0, 512+len(t.Entries)*384), t)
}

// AppendJSON appends what RenderJSON renders to b.
func AppendJSON(b []byte, t *Transcript) []byte {
	t = t.Printable()
	w := indentWriter{b: b}
	w.open('{')
	w.key("format")
	w.b = strconv.AppendInt(w.b, int64(t.Format), 10)
	w.stringField("conversationId", t.ConversationID)
	w.stringField("channel", t.Channel)
	w.optionalString("language", t.Language)
	w.optionalString("subject", t.Subject)
	w.key("customer")
	w.participant(t.Customer)
	w.stringField("startedAt", t.StartedAt)
	w.stringField("endedAt", t.EndedAt)
	w.key("participants")
	appendArray(&w, t.Participants, (*indentWriter).participant)
	w.key("entries")
	appendArray(&w, t.Entries, (*indentWriter).entry)
	w.key("endSequence")
	w.b = strconv.AppendUint(w.b, t.EndSequence, 10)
	w.close('}')
	return append(w.b, '\n')
}

// indentWriter appends JSON indented by two spaces a level, as
// json.MarshalIndent does: an empty object or array stays on one line
// ({} or []), and every member or element starts a line of its own.
type indentWriter struct {
	b     []byte
	depth int
	// empty is true from an opening bracket until the first member or
	// element, which decides whether the close goes on a line of its own.
	empty bool
}

func (w *indentWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.empty = true
}

func (w *indentWriter) close(c byte) {
	w.depth--
	if !w.empty {
		w.newline()
	}
	w.b = append(w.b, c)
	w.empty = false
}

func (w *indentWriter) newline() {
	w.b = append(w.b, '\n')
	for range w.depth {
		w.b = append(w.b, "  "...)
	}
}

// appendArray writes items as a JSON array, or null for a nil slice, as
// encoding/json does.
func appendArray[T any](w *indentWriter, items []T, write func(*indentWriter, T)) {
	if items == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.open('[')
	for _, it := range items {
		w.item()
		write(w, it)
	}
	w.close(']')
}

// item starts an element of an array or a member of an object.
func (w *indentWriter) item() {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.newline()
}

func (w *indentWriter) key(k string) {
	w.item()
	w.b = jsonenc.String(w.b, k)
	w.b = append(w.b, ": "...)
}

func (w *indentWriter) stringField(k, v string) {
	w.key(k)
	w.b = jsonenc.String(w.b, v)
}

// optionalString is a string field tagged omitempty.
func (w *indentWriter) optionalString(k, v string) {
	if v != "" {
		w.stringField(k, v)
	}
}

func (w *indentWriter) participant(p TranscriptParticipant) {
	w.open('{')
	w.stringField("id", p.ID)
	w.stringField("name", p.Name)
	w.stringField("role", string(p.Role))
	w.close('}')
}

func (w *indentWriter) entry(e TranscriptEntry) {
	w.open('{')
	w.key("sequence")
	w.b = strconv.AppendUint(w.b, e.Sequence, 10)
	w.stringField("time", e.Time)
	w.stringField("type", e.Type)
	w.key("from")
	w.participant(e.From)
	w.optionalString("text", e.Text)
	w.optionalString("activityType", e.ActivityType)
	if len(e.Attachments) > 0 {
		w.key("attachments")
		appendArray(w, e.Attachments, (*indentWriter).attachment)
	}
	w.close('}')
}

func (w *indentWriter) attachment(a domain.Attachment) {
	w.open('{')
	w.optionalString("type", a.Type)
	w.optionalString("name", a.Name)
	w.optionalString("contentUrl", a.ContentURL)
	w.optionalString("thumbnailUrl", a.ThumbnailURL)
	w.close('}')
}
