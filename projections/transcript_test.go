package projections_test

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

func readAll(t *testing.T, store domain.EventStore, id string) []domain.RecordedEvent {
	t.Helper()
	recs, err := store.ReadStream(t.Context(), domain.StreamName(id), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestFoldTranscript_CustomerView(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "zoe@example.com")
	c.do(domain.JoinConversation{Participant: sup})
	c.say(c.cus, "Bonjour, ma commande est arrivée abîmée.")
	c.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: agent, Tag: domain.TagWhisper, Text: "whisper: refund?"}})
	c.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: sup, To: []domain.Participant{agent}, Text: "to-agent: yes"}})
	c.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeActivityMessage, From: c.cus, ActivityType: domain.ActivityTyping}})
	c.say(agent, "Je suis désolée, nous vous remboursons.")
	c.end()

	got, err := projections.FoldTranscript(c.id, readAll(t, store, c.id))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got.Entries {
		if e.IsActivity() {
			lines = append(lines, "* "+projections.ActivityLine(e))
		} else {
			lines = append(lines, e.From.Name+": "+e.Text)
		}
	}
	want := []string{
		"* Zoé Dupré joined the conversation",
		"* Welcome, Zoé Dupré.",
		"* Grace joined the conversation",
		"* Sam joined the conversation",
		"Zoé Dupré: Bonjour, ma commande est arrivée abîmée.",
		"Grace: Je suis désolée, nous vous remboursons.",
		"* Grace ended the conversation",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got.Customer.Name != "Zoé Dupré" || got.Language != "fr" || len(got.Participants) != 3 || got.Participants[2].Role != domain.RoleSupervisor {
		t.Fatalf("header = %+v, participants %+v", got.Customer, got.Participants)
	}
	if got.Duration() <= 0 || got.EndedAt == "" || got.EndSequence != got.Entries[len(got.Entries)-1].Sequence {
		t.Fatalf("times = %s..%s, end sequence %d", got.StartedAt, got.EndedAt, got.EndSequence)
	}
}

func TestFoldTranscript_Errors(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "")
	c.say(c.cus, "hello")
	recs := readAll(t, store, c.id)

	if _, err := projections.FoldTranscript("nope", nil); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("no events: got %v, want %s", err, domain.CodeNotFound)
	}
	if _, err := projections.FoldTranscript(c.id, recs); domain.ErrorCode(err) != domain.CodeOngoing {
		t.Errorf("ongoing: got %v, want %s", err, domain.CodeOngoing)
	}
	gap := append(append([]domain.RecordedEvent{}, recs[:2]...), recs[3:]...)
	if _, err := projections.FoldTranscript(c.id, gap); err == nil || !strings.Contains(err.Error(), "follows") {
		t.Errorf("a gap: got %v, want an error", err)
	}
	c.end()
	full := readAll(t, store, c.id)
	first, err := projections.FoldTranscript(c.id, full)
	if err != nil {
		t.Fatal(err)
	}
	// Whatever follows the end, a transcript stops there.
	after := full[len(full)-2]
	after.Revision = full[len(full)-1].Revision + 1
	again, err := projections.FoldTranscript(c.id, append(full, after))
	if err != nil || len(again.Entries) != len(first.Entries) {
		t.Fatalf("events after the end changed the transcript: %v", err)
	}
}

func TestRenderHTML_EscapesUserText(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "")
	c.say(c.cus, `<script>alert("x")</script> & <b>bold</b>`)
	c.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: agent, Text: "see",
		Attachments: []domain.Attachment{{Name: `"><img src=x onerror=alert(1)>`, ContentURL: `https://files.example.com/a?b="c"`}}}})
	c.end()
	tr, err := projections.FoldTranscript(c.id, readAll(t, store, c.id))
	if err != nil {
		t.Fatal(err)
	}
	page, err := projections.RenderHTML(tr)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, bad := range []string{"<script>", "<b>bold", "<img", `b="c"`} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;", "&amp; &lt;b&gt;bold", `href="https://files.example.com/a?b=%22c%22"`} {
		if !strings.Contains(html, good) {
			t.Errorf("the page lacks %q", good)
		}
	}
	text := string(projections.RenderText(tr))
	if !strings.Contains(text, `<script>alert("x")</script>`) || !strings.Contains(text, "Attachment: ") {
		t.Errorf("plain text:\n%s", text)
	}
}

// TestFoldTranscript_LostInRepair folds a conversation in which a repair of
// the store put a placeholder in place of a damaged message: the transcript
// and the conversation's state take it, and the transcript says what is
// missing where it was.
func TestFoldTranscript_LostInRepair(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "")
	c.say(c.cus, "my order number is 1042")
	c.say(agent, "thank you")
	c.end()
	recs := readAll(t, store, c.id)
	lost := len(recs) - 3 // the customer's message
	data, err := domain.EncodeEvent(recs[lost].ID, domain.LostInRepair{Position: recs[lost].Position, StreamKnown: true,
		Quarantine: "events.log.quarantine-1-00000000", DamagedOffset: 1, DamagedBytes: 10}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	recs[lost].Type, recs[lost].Data, recs[lost].Metadata = data.Type, data.Data, data.Metadata

	if _, err := domain.Fold(domain.StreamName(c.id), recs); err != nil {
		t.Fatalf("the conversation does not fold over a placeholder: %v", err)
	}
	info, err := projections.FoldInfo(c.id, recs)
	if err != nil || len(info.LostInRepair) != 1 || info.LostInRepair[0] != int64(recs[lost].Revision) ||
		info.Version != int64(len(recs)-1) {
		t.Fatalf("conversation view over a placeholder = %+v, %v; want sequence %d lost in repair", info, err, recs[lost].Revision)
	}
	got, err := projections.FoldTranscript(c.id, recs)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got.Entries {
		if e.IsActivity() {
			lines = append(lines, projections.ActivityLine(e))
		} else {
			lines = append(lines, e.Text)
		}
	}
	text := strings.Join(lines, "\n")
	if strings.Contains(text, "1042") || !strings.Contains(text, "Lost in repair") || !strings.Contains(text, "thank you") {
		t.Fatalf("transcript entries:\n%s\nwant the lost message shown as lost in repair, the others as they were", text)
	}
}
