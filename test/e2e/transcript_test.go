package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/test/mailserver"
)

// get fetches path with the bearer credential and returns the status, the
// headers and the body.
func (s *server) get(t *testing.T, credential, path string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", s.url(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// expectCode fetches path and checks the status and error code.
func (s *server) expectCode(t *testing.T, credential, path string, status int, code string) {
	t.Helper()
	got, _, body := s.get(t, credential, path)
	var e errorBody
	_ = json.Unmarshal(body, &e)
	if got != status || e.Code != code {
		t.Fatalf("GET %s = %d %s, want %d %s", path, got, body, status, code)
	}
}

// endedChat runs a short multilingual chat with a whisper to its end and
// returns it; email may be empty.
func endedChat(t *testing.T, s *server, email string, texts ...string) initAnswer {
	t.Helper()
	body := map[string]any{"firstName": "Zoé", "lastName": "Dupré", "phone": "+33123456789", "channel": "web", "language": "fr"}
	if email != "" {
		body["email"] = email
	}
	chat := startChat(t, s, body)
	conv := chat.ConversationID
	customer := dial(t, s, "customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": chat.Participant.ID, "name": "Zoé", "token": chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "id": "agent-1", "name": "Grace", "role": "agent"})
	for i, text := range texts {
		who := customer
		if i%2 == 1 {
			who = agent
		}
		who.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "conversationId": conv, "text": text})
	}
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "conversationId": conv, "text": "WHISPERED-SECRET", "tag": "whisper"})
	s.expectCode(t, chat.Token, "/api/customer/transcript/"+conv+"/pdf", http.StatusNotFound, "conversation_ongoing")
	agent.mustCall("endConversation", map[string]any{"conversationId": conv})
	return chat
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils, installed by go tool task deps): %v", err)
	}
	return string(out)
}

// attachment returns the PDF attached to a received mail.
func attachment(t *testing.T, raw []byte) (to string, pdf []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("the mail has no PDF attached: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "application/pdf") {
			body, _ := io.ReadAll(p)
			pdf, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			return msg.Header.Get("To"), pdf
		}
	}
}

func TestTranscripts(t *testing.T) {
	mails := mailserver.Start(t, mailserver.Options{User: "parley", Password: "pw"})
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "--smtp-url", "smtp://parley:pw@"+mails.Addr, "--mail-from", "Parley <transcripts@parley.test>")
	texts := []string{"Bonjour, où est ma commande ?", "Καλημέρα! Здравствуйте!", "مرحبا، شكرا", "שלום, תודה רבה"}
	chat := endedChat(t, s, "zoe@example.com", texts...)
	conv, base := chat.ConversationID, "/api/customer/transcript/"+chat.ConversationID

	s.expectCode(t, supervisorKey, "/api/customer/transcript/no-such-chat/pdf", http.StatusNotFound, "conversation_not_found")
	s.expectCode(t, chat.Token, base+"/docx", http.StatusBadRequest, "invalid_request")
	s.expectCode(t, "", base+"/pdf", http.StatusUnauthorized, "unauthenticated")

	status, header, pdf := s.get(t, chat.Token, base+"/pdf")
	if status != http.StatusOK || header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("pdf: %d %s %.20q", status, header.Get("Content-Type"), pdf)
	}
	text := pdfText(t, pdf)
	for _, msg := range texts {
		for _, w := range strings.FieldsFunc(msg, func(r rune) bool { return strings.ContainsRune(" ,.!?،", r) }) {
			if !strings.Contains(text, w) {
				t.Errorf("the PDF lacks %q", w)
			}
		}
	}
	if strings.Contains(text, "WHISPERED") {
		t.Error("the customer's PDF shows a whisper")
	}
	for kind, ctype := range map[string]string{"json": "application/json", "txt": "text/plain; charset=UTF-8", "html": "text/html; charset=UTF-8"} {
		status, header, body := s.get(t, chat.Token, base+"/"+kind)
		if status != http.StatusOK || header.Get("Content-Type") != ctype || !bytes.Contains(body, []byte("Καλημέρα")) || bytes.Contains(body, []byte("WHISPERED")) {
			t.Errorf("%s: %d %s", kind, status, header.Get("Content-Type"))
		}
	}

	// Email: an empty 200 at once; the mail arrives with the same PDF.
	start := time.Now()
	status, _, body := s.get(t, chat.Token, base+"/email")
	if status != http.StatusOK || len(body) != 0 || time.Since(start) > 2*time.Second {
		t.Fatalf("email: %d %q after %s", status, body, time.Since(start))
	}
	got := mails.Wait(t, 1, 20*time.Second)[0]
	if to, attached := attachment(t, got.Data); to != "<zoe@example.com>" || !bytes.Equal(attached, pdf) {
		t.Fatalf("mail to %s with a %d-byte attachment, want the %d-byte PDF", to, len(attached), len(pdf))
	}

	// The mail server has the mail a moment before Parley stores it as sent;
	// a request in between would join the pending one, so wait for "sent".
	waitEmails(t, s, conv, "the first mail stored as sent", func(e []emailStatus) bool {
		return len(e) == 1 && e[0].Status == "sent"
	})

	// The mail server goes down: the request is still answered at once,
	// the failure is stored, and the mail goes out once the server is back.
	mails.Stop()
	start = time.Now()
	if status, _, _ := s.get(t, chat.Token, base+"/email"); status != http.StatusOK || time.Since(start) > 2*time.Second {
		t.Fatalf("email while the mail server is down: %d after %s", status, time.Since(start))
	}
	waitEmails(t, s, conv, "a failed attempt stored", func(e []emailStatus) bool {
		return len(e) == 2 && e[1].Status == "pending" && e[1].Attempts >= 1 && e[1].LastError != ""
	})
	if err := mails.Start(); err != nil {
		t.Fatal(err)
	}
	mails.Wait(t, 2, 30*time.Second)
	waitEmails(t, s, conv, "the retry stored as sent", func(e []emailStatus) bool {
		return len(e) == 2 && e[1].Status == "sent" && e[1].Attempts >= 2
	})

	noEmail := endedChat(t, s, "", "hello")
	s.expectCode(t, noEmail.Token, "/api/customer/transcript/"+noEmail.ConversationID+"/email", http.StatusUnprocessableEntity, "no_email")

	testRebuild(t, s, dataDir, map[string][]byte{conv: pdf})
}

type emailStatus struct {
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError"`
}

func waitEmails(t *testing.T, s *server, conv, what string, ok func([]emailStatus) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got struct {
			Emails []emailStatus `json:"emails"`
		}
		s.do(t, "GET", "/api/conversations/"+conv+"/transcript-emails", nil, &got)
		if ok(got.Emails) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s; emails: %+v", what, got.Emails)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testRebuild stops the server, deletes the transcript projection, rebuilds
// it with parley transcripts rebuild, and checks that the stored
// transcripts and the served PDFs are what they were.
func testRebuild(t *testing.T, s *server, dataDir string, pdfs map[string][]byte) {
	t.Helper()
	s.stop()
	dir := filepath.Join(dataDir, "transcripts")
	before := projectionFiles(t, dir)
	if len(before) < len(pdfs) {
		t.Fatalf("the projection holds %d transcripts, want at least %d", len(before), len(pdfs))
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "transcripts", "rebuild", "--data-dir", dataDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rebuilt ") {
		t.Fatalf("transcripts rebuild: %v\n%s", err, out)
	}
	after := projectionFiles(t, dir)
	if len(after) != len(before) {
		t.Fatalf("rebuilt %d transcripts, had %d", len(after), len(before))
	}
	for name, raw := range before {
		if !bytes.Equal(after[name], raw) {
			t.Errorf("%s differs after the rebuild", name)
		}
	}
	s2 := startServer(t, dataDir)
	for conv, want := range pdfs {
		if _, _, got := s2.get(t, supervisorKey, "/api/customer/transcript/"+conv+"/pdf"); !bytes.Equal(got, want) {
			t.Errorf("the PDF of %s differs after the rebuild", conv)
		}
	}
}

func projectionFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") || d.Name() == "checkpoint.json" || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		out[p], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
