package pdf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/parley-chat/parley/adapters/pdf"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// poppler runs a poppler-utils command (installed by task deps); the tests
// that need one fail rather than skip when it is missing.
func poppler(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is missing: install poppler-utils (go tool task deps)", name)
	}
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}

func render(t testing.TB, tr *projections.Transcript) string {
	t.Helper()
	b, err := pdf.Render(tr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "transcript.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// words splits text into its words of letters and digits: pdftotext returns
// right-to-left text word by word in logical order, but places punctuation
// between words by its own rules, so words are what must survive.
func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) })
}

func TestRender_MultilingualCorpus(t *testing.T) {
	path := render(t, corpus(t))
	text := string(poppler(t, "pdftotext", "-enc", "UTF-8", path, "-"))
	found := map[string]bool{}
	for _, w := range words(text) {
		found[w] = true
	}
	for _, msg := range corpusTexts {
		for _, w := range words(msg) {
			if !found[w] {
				t.Errorf("word %q of message %.40q is not in the PDF's text", w, msg)
			}
		}
	}
	for _, secret := range []string{"SECRET", "WHISPER", "voucher", "STAFF"} {
		if strings.Contains(text, secret) {
			t.Errorf("the customer's transcript shows %q of a message not meant for the customer", secret)
		}
	}
	for _, want := range []string{"[U+1F600]", "€ £ ¥ © ® ™ → ← ★ ✓", "Σοφία Παπαδοπούλου (supervisor)", "Grace joined the conversation", "Attachment: invoice-1042.pdf", "Page 1 of 2", "Page 2 of 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte("/URI (https://files.example.com/invoice-1042.pdf)")) {
		t.Error("the attachment is not a link")
	}
}

// The long message wraps, in order, with no word lost between lines or pages.
func TestRender_LongMessageWrapsInOrder(t *testing.T) {
	text := string(poppler(t, "pdftotext", "-enc", "UTF-8", render(t, corpus(t)), "-"))
	got := regexp.MustCompile(`word\d{4}`).FindAllString(text, -1)
	want := regexp.MustCompile(`word\d{4}`).FindAllString(corpusTexts[len(corpusTexts)-1], -1)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("the long message comes out as %d words, want the %d in order", len(got), len(want))
	}
}

func TestRender_Deterministic(t *testing.T) {
	tr := corpus(t)
	first, err := pdf.Render(tr)
	if err != nil {
		t.Fatal(err)
	}
	// The projection stores transcripts as JSON: a stored one must render
	// to the same bytes as a freshly folded one.
	raw, _ := json.Marshal(tr)
	var stored projections.Transcript
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		again, err := pdf.Render(&stored)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatalf("render %d differs from the first (%d vs %d bytes)", i+2, len(again), len(first))
		}
	}
	if !bytes.Contains(first, []byte("/CreationDate (D:20261123100145")) {
		t.Error("the creation date is not the conversation's end")
	}
}

// chat returns a finished conversation of n messages.
func chat(t testing.TB, n int) *projections.Transcript {
	h := newHistory(t, convID)
	h.activity(customer, domain.ActivityParticipantJoined)
	h.activity(agent, domain.ActivityParticipantJoined)
	for i := range n {
		from := customer
		if i%2 == 1 {
			from = agent
		}
		h.say(from, corpusTexts[i%(len(corpusTexts)-1)])
	}
	h.activity(agent, domain.ActivityEndOfConversation)
	return h.transcript()
}

var pagesLine = regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`)

func pages(t *testing.T, path string) string {
	t.Helper()
	m := pagesLine.FindSubmatch(poppler(t, "pdfinfo", path))
	if m == nil {
		t.Fatal("pdfinfo shows no page count")
	}
	return string(m[1])
}

// BenchmarkRender1000 renders a 1,000-message transcript; docs/BENCHMARKS.md
// records its result.
func BenchmarkRender1000(b *testing.B) {
	tr := chat(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pdf.Render(tr); err != nil {
			b.Fatal(err)
		}
	}
}

// A transcript of history written before control characters were refused
// renders them as U+FFFD, visibly, and puts none into the page's text.
func TestRender_ControlCharacters(t *testing.T) {
	tr := &projections.Transcript{Format: projections.TranscriptFormat, ConversationID: "c1", Channel: "web",
		Customer:  projections.TranscriptParticipant{ID: "u1", Name: "Zo\x00e", Role: domain.RoleCustomer},
		StartedAt: "2026-11-23T10:00:00.000Z", EndedAt: "2026-11-23T10:05:00.000Z",
		Entries: []projections.TranscriptEntry{{Sequence: 3, Time: "2026-11-23T10:01:00.000Z", Type: domain.TypeChatMessage,
			From: projections.TranscriptParticipant{ID: "u1", Name: "Zo\x00e", Role: domain.RoleCustomer}, Text: "before\x1b[2Jafter\x00end"}}}
	text := string(poppler(t, "pdftotext", "-enc", "UTF-8", render(t, tr), "-"))
	for i, r := range text {
		if r < 0x20 && r != '\n' && r != '\f' || r >= 0x7f && r <= 0x9f {
			t.Fatalf("the page's text holds the control character %q at %d:\n%s", r, i, text)
		}
	}
	if !strings.Contains(text, "before\uFFFD[2Jafter\uFFFDend") {
		t.Fatalf("the control characters are not shown as U+FFFD:\n%s", text)
	}
}
