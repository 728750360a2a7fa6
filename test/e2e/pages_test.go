package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// infoPage is a page of GET /api/conversations/{id} or of conversationInfo.
type infoPage struct {
	Messages []message `json:"messages"`
	Version  int64     `json:"version"`
	More     bool      `json:"more"`
	Since    *int64    `json:"since"`
	Before   *int64    `json:"before"`
}

// sendChats has the agent send n chat messages, texts from first on; every
// fifth is a whisper when whispers is set.
func sendChats(t *testing.T, agent *wsClient, first, n int, whispers bool) {
	t.Helper()
	for i := first; i < first+n; i++ {
		data := map[string]any{"type": "ChatMessage", "text": strconv.Itoa(i)}
		if whispers && i%5 == 4 {
			data["tag"] = "whisper"
		}
		if _, err := agent.tryCall("sendMessage", data, 30*time.Second); err != nil {
			t.Errorf("message %d: %v", i, err)
			return
		}
	}
}

// checkOnce fails unless ms are in sequence order, each once, and their chat
// texts are want, in order.
func checkOnce(t *testing.T, what string, ms []message, want []string) {
	t.Helper()
	last := int64(-1)
	var texts []string
	for _, m := range ms {
		seq := sequenceOf(t, m)
		if seq <= last {
			t.Fatalf("%s: sequence %d after %d: out of order or twice", what, seq, last)
		}
		last = seq
		if m.Type == "ChatMessage" {
			texts = append(texts, m.Text)
		}
	}
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Fatalf("%s: chat texts %v, want %v", what, texts, want)
	}
}

func texts(from, n int, skip func(int) bool) []string {
	var out []string
	for i := from; i < from+n; i++ {
		if skip == nil || !skip(i) {
			out = append(out, strconv.Itoa(i))
		}
	}
	return out
}

// GET /api/conversations/{id} answers at most --max-info-messages messages,
// the newest or the oldest after since, and the cursors page through every
// message the reader may see, once each.
func TestConversationPagesOverREST(t *testing.T) {
	s := startServer(t, t.TempDir(), append(loadLimits, "--max-info-messages", "20")...)
	chat := startChat(t, s, map[string]any{"channel": "web", "refId": "pages"})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID})
	sendChats(t, agent, 0, 50, true)
	path := "/api/conversations/" + chat.ConversationID

	var newest infoPage
	if code := s.do(t, "GET", path, nil, &newest); code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	if len(newest.Messages) != 20 || !newest.More || newest.Before == nil || *newest.Before != sequenceOf(t, newest.Messages[0]) ||
		newest.Messages[19].Text != "49" || newest.Since != nil {
		t.Fatalf("newest page: %d messages, more %v, before %v, since %v", len(newest.Messages), newest.More, newest.Before, newest.Since)
	}
	all := newest.Messages
	for pg := newest; pg.More; {
		pg = infoPage{}
		if code := s.do(t, "GET", fmt.Sprintf("%s?before=%d&limit=7", path, *newest.Before), nil, &pg); code != http.StatusOK || len(pg.Messages) > 7 {
			t.Fatalf("GET ?before=%d: %d, %d messages", *newest.Before, code, len(pg.Messages))
		}
		all = append(pg.Messages, all...)
		newest.Before = pg.Before
	}
	checkOnce(t, "staff, paging back", all, texts(0, 50, nil))

	// The customer pages forward from since 0 and never sees a whisper.
	var seen []message
	for since := int64(0); ; {
		var pg infoPage
		if code := s.doAs(t, chat.Token, "GET", fmt.Sprintf("%s?since=%d", path, since), nil, &pg); code != http.StatusOK {
			t.Fatalf("customer GET ?since=%d: %d", since, code)
		}
		seen = append(seen, pg.Messages...)
		if !pg.More {
			break
		}
		since = *pg.Since
	}
	checkOnce(t, "customer, paging forward", seen, texts(0, 50, func(i int) bool { return i%5 == 4 }))

	for query, field := range map[string]string{
		"limit=0": "limit", "limit=21": "limit", "limit=ten": "limit",
		"since=-1": "since", "since=1e3": "since", "before=abc": "before", "before=99999999999999999999": "before",
	} {
		var e errorBody
		if code := s.do(t, "GET", path+"?"+query, nil, &e); code != http.StatusBadRequest || e.Code != "invalid_request" || e.Field != field || e.Message == "" {
			t.Errorf("?%s: %d %+v, want 400 invalid_request on %s", query, code, e, field)
		}
	}
	var e errorBody
	if code := s.do(t, "GET", "/api/conversations/no-such-conversation?limit=5", nil, &e); code != http.StatusNotFound || e.Code != "conversation_not_found" {
		t.Errorf("unknown conversation: %d %+v", code, e)
	}
}

// A customer that rejoins with since gets the oldest messages after it and
// more: true, asks for the following pages with joinConversation and since
// on the same connection, and receives the messages sent meanwhile live:
// pages and live messages together hold every message once.
func TestRejoinPagesWithoutGapsOrRepeats(t *testing.T) {
	const before, during = 35, 25
	s := startServer(t, t.TempDir(), append(loadLimits, "--max-info-messages", "10")...)
	chat := startChat(t, s, map[string]any{"channel": "web", "refId": "rejoin-pages"})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID})
	sendChats(t, agent, 0, before, false)

	customer := dial(t, s, "customer")
	join := map[string]any{"conversationId": chat.ConversationID, "token": chat.Token, "since": 0}
	ack := decode[joinAnswer](t, customer.mustCall("joinConversation", join).Data)
	first := decode[infoPage](t, customer.next("conversationInfo").Data)
	if len(first.Messages) != 10 || !first.More || first.Since == nil {
		t.Fatalf("first page: %d messages, more %v, since %v", len(first.Messages), first.More, first.Since)
	}

	sending := make(chan struct{})
	go func() { defer close(sending); sendChats(t, agent, before, during, false) }()

	paged := first.Messages
	for pg := first; pg.More; {
		join["since"] = *pg.Since
		again := decode[joinAnswer](t, customer.mustCall("joinConversation", join).Data)
		if again.Sequence != ack.Sequence {
			t.Fatalf("a page answered sequence %d, the join %d", again.Sequence, ack.Sequence)
		}
		pg = decode[infoPage](t, customer.next("conversationInfo").Data)
		paged = append(paged, pg.Messages...)
	}
	for _, m := range paged {
		if sequenceOf(t, m) > ack.Sequence {
			t.Fatalf("a page holds sequence %d, after the join's %d", *m.Sequence, ack.Sequence)
		}
	}
	<-sending
	var live []message
	for len(live) < during {
		f, ok := customer.take(isEvent("messageArrived"), 30*time.Second)
		if !ok {
			t.Fatalf("%d of %d live messages arrived", len(live), during)
		}
		live = append(live, decode[message](t, f.Data))
	}
	customer.expectNone(300*time.Millisecond, isEvent("messageArrived"))
	checkOnce(t, "pages, then live messages", append(paged, live...), texts(0, before+during, nil))

	// Asking for pages stored nothing: the customer joined once.
	if f := customer.call("joinConversation", map[string]any{"conversationId": chat.ConversationID, "token": chat.Token}); f.Event != "error" {
		t.Fatalf("a second join without since: %s %s", f.Event, f.Data)
	}
	var events eventsPage
	s.do(t, "GET", "/api/conversations/"+chat.ConversationID+"/events", nil, &events)
	joins := 0
	for _, e := range events.Events {
		var m message
		if e.Type == "ActivityMessage" && json.Unmarshal(e.Data, &m) == nil && m.ActivityType == "participantJoined" && m.From.ID == chat.Participant.ID {
			joins++
		}
	}
	if joins != 1 {
		t.Fatalf("the customer's participantJoined is stored %d times", joins)
	}
}

type joinAnswer struct {
	Sequence int64 `json:"sequence"`
}

// parley serve refuses to start on a page size or read model budget below 1.
func TestPageFlagsAreChecked(t *testing.T) {
	for _, arg := range []string{"--max-info-messages=0", "--read-model-cache-bytes=-5"} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		out, err := exec.CommandContext(ctx, binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
			"--auth-secret", testSecret, arg).CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		name, _, _ := strings.Cut(arg, "=")
		if err == nil || timedOut || !strings.Contains(string(out), name) {
			t.Errorf("serve %s: %v, %s", arg, err, out)
		}
	}
}

// A client that asks for page after page without reading them is refused
// with rate_limited once a few frames wait for it, instead of piling the
// pages up in the server's memory; it gets the pages again once it reads.
func TestPagesWaitForTheReader(t *testing.T) {
	const requests = 40
	s := startServer(t, t.TempDir(), append(loadLimits, "--max-info-messages", "100")...)
	chat := startChat(t, s, map[string]any{"channel": "web", "refId": "no-reader"})
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID})
	long := strings.Repeat("0123456789", 1000)
	for i := range 150 {
		if _, err := agent.tryCall("sendMessage", map[string]any{"type": "ChatMessage", "text": strconv.Itoa(i) + long}, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}

	conn := dialRaw(t, s, "")
	join := map[string]any{"conversationId": chat.ConversationID, "token": chat.Token, "since": 0}
	for i := range requests + 1 { // the join, then page requests, each of about 1 MB
		if err := conn.WriteJSON(map[string]any{"event": "joinConversation", "ack": i, "data": join}); err != nil {
			t.Fatal(err)
		}
	}
	// Not reading for a while (less than the 10 s after which a stuck writer
	// drops the connection) lets the server handle every request first.
	time.Sleep(3 * time.Second)
	infos, refused := 0, 0
	for answers := 0; answers < requests+1; {
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		var f frame
		if err := conn.ReadJSON(&f); err != nil {
			t.Fatalf("after %d answers: %v", answers, err)
		}
		switch f.Event {
		case "conversationInfo":
			infos++
		case "ack":
			answers++
		case "error":
			answers++
			if e := decode[errorBody](t, f.Data); e.Code == "rate_limited" {
				refused++
			} else {
				t.Fatalf("error %+v", e)
			}
		}
	}
	t.Logf("%d requests unread: %d pages sent, %d refused", requests+1, infos, refused)
	if refused == 0 || infos != requests+1-refused {
		t.Fatalf("%d pages sent and %d refused of %d requests", infos, refused, requests+1)
	}
	// Once it reads, it is answered again.
	if err := conn.WriteJSON(map[string]any{"event": "joinConversation", "ack": "again", "data": join}); err != nil {
		t.Fatal(err)
	}
	for {
		var f frame
		if err := conn.ReadJSON(&f); err != nil {
			t.Fatal(err)
		}
		if f.Event == "error" {
			t.Fatalf("a reading client is refused: %s", f.Data)
		}
		if f.Event == "ack" {
			break
		}
	}
}
