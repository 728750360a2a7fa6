package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
)

// person is a customer of the erasure tests, with what only they wrote.
type person struct {
	first, last, email, line string
	chat                     initAnswer
}

func (p *person) secrets() []string { return []string{p.first, p.last, p.email, p.line} }

// TestErasure erases one of two customers and then searches every byte of
// the data directory and the server's log for that customer's name, e-mail
// address and a sentence only they wrote: none is there in clear, while the
// other customer reads as before through the API, also after a restart.
func TestErasure(t *testing.T) {
	t.Run("embedded store", func(t *testing.T) {
		dir := t.TempDir()
		ada, bob := testErasure(t, dir, startServer(t, dir), func() *server { return startServer(t, dir) })
		checkDataDir(t, dir, ada, bob)
	})
	t.Run("EventStoreDB test server", func(t *testing.T) {
		dir, es := t.TempDir(), startESDB(t)
		start := func() *server { return startServer(t, dir, "--store", es.url) }
		ada, bob := testErasure(t, dir, start(), start)
		checkDataDir(t, dir, ada, bob)
		checkESDB(t, es.url, ada, bob)
	})
}

func testErasure(t *testing.T, dir string, s *server, restart func() *server) (ada, bob *person) {
	ada = &person{first: "Adalind", last: "Quistorp", email: "adalind.quistorp@example.org", line: "My parcel code is XQ-7781-ZEBRA."}
	bob = &person{first: "Bartholomew", last: "Zwingli", email: "bart.zwingli@example.org", line: "Please call me after lunch."}
	for _, p := range []*person{ada, bob} {
		p.chat = startChat(t, s, map[string]any{"channel": "web", "firstName": p.first, "lastName": p.last, "email": p.email,
			"url": "https://shop.example.com/" + p.last})
		chatAndEnd(t, s, p)
	}
	waitTranscripts(t, dir, 2)
	id := customerIDOf(t, s, ada)
	if other := customerIDOf(t, s, bob); other == id || len(id) != 32 {
		t.Fatalf("customer ids %q and %q: want two different blind indexes", id, other)
	}

	path := "/api/customers/" + id + "/personal-data"
	var e errorBody
	if code := s.doAs(t, agentKey, "DELETE", path, nil, &e); code != http.StatusForbidden || e.Code != "forbidden" {
		t.Fatalf("an agent's erasure: %d %+v, want 403 forbidden", code, e)
	}
	if code := s.do(t, "DELETE", "/api/customers/"+strings.Repeat("0", 32)+"/personal-data", nil, &e); code != http.StatusNotFound || e.Code != "customer_not_found" {
		t.Fatalf("erasing an unknown customer: %d %+v, want 404 customer_not_found", code, e)
	}
	if code := s.do(t, "DELETE", "/api/customers/not-an-id/personal-data", nil, &e); code != http.StatusBadRequest || e.Field != "customerId" {
		t.Fatalf("erasing a malformed id: %d %+v, want 400 on customerId", code, e)
	}
	for range 2 {
		if code := s.do(t, "DELETE", path, nil, nil); code != http.StatusNoContent {
			t.Fatalf("erasure: status %d, want 204 (and 204 again)", code)
		}
	}
	waitTranscriptWithout(t, dir, ada)
	checkAPI(t, s, ada, bob)
	s.stop()
	checkLogs(t, s, ada)

	s = restart()
	checkAPI(t, s, ada, bob)
	s.stop()
	checkLogs(t, s, ada)
	return ada, bob
}

// chatAndEnd has the customer and an agent exchange a line each, then ends
// the conversation, which writes its transcript.
func chatAndEnd(t *testing.T, s *server, p *person) {
	t.Helper()
	conv := p.chat.ConversationID
	customer := dial(t, s, "customer")
	defer customer.conn.Close()
	customer.mustCall("joinConversation", map[string]any{"conversationId": conv, "token": p.chat.Token})
	agent := dialAs(t, s, "agent", agentKey)
	defer agent.conn.Close()
	agent.mustCall("joinConversation", map[string]any{"conversationId": conv, "name": "Grace"})
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": p.line,
		"attachments": []map[string]string{{"contentUrl": "https://files.example.com/" + p.last + ".png"}}})
	if got := nextChat(t, agent); got.Text != p.line {
		t.Fatalf("the agent got %q live, want %q", got.Text, p.line)
	}
	agent.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": "Happy to help."})
	agent.mustCall("endConversation", map[string]any{"conversationId": conv})
}

func customerIDOf(t *testing.T, s *server, p *person) string {
	t.Helper()
	var view struct {
		Conversation struct {
			CustomerID string `json:"customerId"`
		} `json:"conversation"`
	}
	if code := s.do(t, "GET", "/api/conversations/"+p.chat.ConversationID, nil, &view); code != http.StatusOK {
		t.Fatalf("conversation view: status %d", code)
	}
	return view.Conversation.CustomerID
}

// checkAPI reads both conversations through the view, the events API and
// the transcript: the erased customer's values are [erased], the other
// customer's are intact.
func checkAPI(t *testing.T, s *server, erased, kept *person) {
	t.Helper()
	for _, c := range []struct {
		p      *person
		erased bool
	}{{erased, true}, {kept, false}} {
		conv := c.p.chat.ConversationID
		var seen []byte
		for _, path := range []string{"/api/conversations/" + conv, "/api/conversations/" + conv + "/events", "/api/customer/transcript/" + conv + "/json"} {
			code, _, body := s.get(t, supervisorKey, path)
			if code != http.StatusOK {
				t.Fatalf("GET %s: status %d %s", path, code, body)
			}
			seen = append(seen, body...)
		}
		for _, v := range c.p.secrets() {
			if got := bytes.Contains(seen, []byte(v)); got == c.erased {
				t.Errorf("%s's %q readable through the API: %v, want %v", c.p.first, v, got, !c.erased)
			}
		}
		if has := bytes.Contains(seen, []byte(domain.Erased)); has != c.erased {
			t.Errorf("%s's conversation shows %s: %v, want %v", c.p.first, domain.Erased, has, c.erased)
		}
		if !bytes.Contains(seen, []byte("Happy to help.")) {
			t.Errorf("the agent's line in %s's conversation is gone", c.p.first)
		}
	}
}

func checkLogs(t *testing.T, s *server, p *person) {
	t.Helper()
	logs := s.logs.String()
	for _, v := range p.secrets() {
		if strings.Contains(logs, v) {
			t.Errorf("the server's log holds %q", v)
		}
	}
}

// checkDataDir searches every file under dir for the erased customer's
// values; the other customer's transcript still names them.
func checkDataDir(t *testing.T, dir string, erased, kept *person) {
	t.Helper()
	var all []byte
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, v := range erased.secrets() {
			if bytes.Contains(raw, []byte(v)) {
				t.Errorf("%s holds %q in clear", path, v)
			}
		}
		all = append(all, raw...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(all, []byte(kept.line)) {
		t.Errorf("none of the %d files holds the other customer's line: is the search looking at the right bytes?", files)
	}
}

// checkESDB reads the node directly: the conversation streams hold the
// ciphertext, and the erased customer's key stream is tombstoned.
func checkESDB(t *testing.T, url string, erased, kept *person) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := esdb.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var keyID string
	for _, p := range []*person{erased, kept} {
		recs, err := st.ReadStream(ctx, domain.StreamName(p.chat.ConversationID), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			for _, v := range p.secrets() {
				if bytes.Contains(rec.Data, []byte(v)) {
					t.Errorf("%s %s of %s holds %q in clear on the node", rec.Type, rec.ID, p.first, v)
				}
			}
		}
		if p == erased {
			keyID = recs[0].Metadata.KeyID
		}
	}
	if _, gone, err := st.Keys().Get(ctx, keyID); err != nil || !gone {
		t.Errorf("the erased customer's key stream: erased %v, %v; want tombstoned", gone, err)
	}
}

func waitTranscripts(t *testing.T, dir string, n int) {
	t.Helper()
	waitFor(t, "transcripts written", func() bool { return len(transcriptFiles(t, dir)) >= n })
}

func waitTranscriptWithout(t *testing.T, dir string, p *person) {
	t.Helper()
	waitFor(t, "the erased transcript rewritten", func() bool {
		for _, f := range transcriptFiles(t, dir) {
			raw, _ := os.ReadFile(f)
			if bytes.Contains(raw, []byte(p.line)) {
				return false
			}
		}
		return true
	})
}

func transcriptFiles(t *testing.T, dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "transcripts", "*", "*.json"))
	return files
}

// TestErasureLiveConversation erases a customer while their conversation
// is open: an agent who joins then sees [erased] in the websocket view, and
// the customer's next message is refused with personal_data_erased.
func TestErasureLiveConversation(t *testing.T) {
	s := startServer(t, t.TempDir())
	p := &person{first: "Cordelia", last: "Wexford", email: "cordelia.wexford@example.org", line: "Ring me on the landline."}
	p.chat = startChat(t, s, map[string]any{"channel": "web", "firstName": p.first, "lastName": p.last, "email": p.email})
	customer := dial(t, s, "customer")
	defer customer.conn.Close()
	customer.mustCall("joinConversation", map[string]any{"conversationId": p.chat.ConversationID, "token": p.chat.Token})
	customer.mustCall("sendMessage", map[string]any{"type": "ChatMessage", "text": p.line})
	if code := s.do(t, "DELETE", "/api/customers/"+customerIDOf(t, s, p)+"/personal-data", nil, nil); code != http.StatusNoContent {
		t.Fatalf("erasure: status %d", code)
	}

	agent := dialAs(t, s, "agent", agentKey)
	defer agent.conn.Close()
	agent.mustCall("joinConversation", map[string]any{"conversationId": p.chat.ConversationID, "name": "Grace"})
	info := agent.next("conversationInfo").Data
	for _, v := range p.secrets() {
		if bytes.Contains(info, []byte(v)) {
			t.Errorf("the agent's conversationInfo holds %q after the erasure: %s", v, info)
		}
	}
	if !bytes.Contains(info, []byte(domain.Erased)) {
		t.Errorf("the agent's conversationInfo shows no %s: %s", domain.Erased, info)
	}
	f := customer.call("sendMessage", map[string]any{"type": "ChatMessage", "text": "Still there?"})
	if e := decode[errorBody](t, f.Data); f.Event != "error" || e.Code != "personal_data_erased" {
		t.Fatalf("the erased customer's next message: %s %s, want error personal_data_erased", f.Event, f.Data)
	}
}
