package projections_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// TestRenderersWriteNoRawControlCharacters folds a history written before
// control characters were refused (the event is appended to the store
// directly, past the command checks) and renders it as text, HTML and JSON:
// none may hold a raw control character but the line feeds of its own
// layout and the tabs of the text.
func TestRenderersWriteNoRawControlCharacters(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "")
	recs := readAll(t, store, c.id)
	dirty := domain.Message{ID: uuid.NewString(), ConversationID: c.id, Type: domain.TypeChatMessage,
		From: domain.Participant{ID: "old-bot", Name: "Bo\x00t", Role: domain.RoleBot},
		Text: "a\x00b\x1b[2J\r\nc\rd\x7f\u0085e\tf", Timestamp: "2026-11-23T10:00:00.000Z",
		Attachments: []domain.Attachment{{Name: "bad\x07name.png", ContentURL: "https://example.com/a.png"}}}
	data, err := domain.EncodeEvent(dirty.ID, dirty, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(t.Context(), domain.StreamName(c.id), domain.Exact(recs[len(recs)-1].Revision), []domain.EventData{data}); err != nil {
		t.Fatal(err)
	}
	c.end()
	tr, err := projections.FoldTranscript(c.id, readAll(t, store, c.id))
	if err != nil {
		t.Fatal(err)
	}
	page, err := projections.RenderHTML(tr)
	if err != nil {
		t.Fatal(err)
	}
	for kind, out := range map[string][]byte{"txt": projections.RenderText(tr), "html": page, "json": projections.RenderJSON(tr)} {
		if i := rawControl(string(out)); i >= 0 {
			t.Errorf("%s holds the raw control character %q at %d", kind, out[i], i)
		}
	}
	text := string(projections.RenderText(tr))
	if !strings.Contains(text, "a\uFFFDb\uFFFD[2J\n    c\n    d\uFFFD\uFFFDe\tf") || !strings.Contains(text, "Bo\uFFFDt (bot)") || !strings.Contains(text, "bad\uFFFDname.png") {
		t.Errorf("control characters are not shown as U+FFFD, or line breaks are lost:\n%s", text)
	}
	if tr.Entries[len(tr.Entries)-2].Text != dirty.Text {
		t.Error("rendering changed the folded transcript")
	}
}

// rawControl returns the index of the first control character in s other
// than line feed and tab, or -1.
func rawControl(s string) int {
	for i, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f {
			return i
		}
	}
	return -1
}
