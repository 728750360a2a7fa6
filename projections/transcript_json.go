package projections

import (
	"strconv"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
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
	w := storedjson.Indented{B: b}
	w.Open('{')
	w.Key("format")
	w.B = strconv.AppendInt(w.B, int64(t.Format), 10)
	w.String("conversationId", t.ConversationID)
	w.String("channel", t.Channel)
	w.OptionalString("language", t.Language)
	w.OptionalString("subject", t.Subject)
	w.Key("customer")
	writeParticipant(&w, t.Customer)
	w.String("startedAt", t.StartedAt)
	w.String("endedAt", t.EndedAt)
	w.Key("participants")
	storedjson.AppendArray(&w, t.Participants, writeParticipant)
	w.Key("entries")
	storedjson.AppendArray(&w, t.Entries, writeEntry)
	w.Key("endSequence")
	w.B = strconv.AppendUint(w.B, t.EndSequence, 10)
	w.Close('}')
	return append(w.B, '\n')
}

func writeParticipant(w *storedjson.Indented, p TranscriptParticipant) {
	w.Open('{')
	w.String("id", p.ID)
	w.String("name", p.Name)
	w.String("role", string(p.Role))
	w.Close('}')
}

func writeEntry(w *storedjson.Indented, e TranscriptEntry) {
	w.Open('{')
	w.Key("sequence")
	w.B = strconv.AppendUint(w.B, e.Sequence, 10)
	w.String("time", e.Time)
	w.String("type", e.Type)
	w.Key("from")
	writeParticipant(w, e.From)
	w.OptionalString("text", e.Text)
	w.OptionalString("activityType", e.ActivityType)
	if len(e.Attachments) > 0 {
		w.Key("attachments")
		storedjson.AppendArray(w, e.Attachments, writeAttachment)
	}
	w.Close('}')
}

func writeAttachment(w *storedjson.Indented, a domain.Attachment) {
	w.Open('{')
	w.OptionalString("type", a.Type)
	w.OptionalString("name", a.Name)
	w.OptionalString("contentUrl", a.ContentURL)
	w.OptionalString("thumbnailUrl", a.ThumbnailURL)
	w.Close('}')
}
