package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

const (
	auditSupervisorKey = "sam-supervisor-key-0123456789"
	auditAgentKey      = "grace-agent-key-0123456789"
)

// auditChat stores a conversation through the real API: a customer's init,
// an agent who joins, talks, hands off and ends it. It returns its id.
func auditChat(t *testing.T, srv *server) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"firstName": "Ada", "email": "ada@example.com", "channel": "web"})
	res, err := http.Post(srv.url("/api/customer/init"), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var init struct{ ConversationID string }
	json.NewDecoder(res.Body).Decode(&init)
	res.Body.Close()
	if res.StatusCode != 200 || init.ConversationID == "" {
		t.Fatalf("init: %d %+v", res.StatusCode, init)
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", http.Header{"Authorization": {"Bearer " + auditAgentKey}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i, f := range []struct {
		event string
		data  map[string]any
	}{
		{"joinConversation", map[string]any{"conversationId": init.ConversationID, "id": "grace", "name": "Grace", "role": "agent"}},
		{"sendMessage", map[string]any{"type": "ChatMessage", "text": "Hello Ada, how can I help?"}},
		{"sendMessage", map[string]any{"type": "ChatMessage", "text": "A note for staff", "tag": "whisper"}},
		{"sendMessage", map[string]any{"type": "ActivityMessage", "activityType": "handOff"}},
		{"sendMessage", map[string]any{"type": "ChatMessage", "text": "Passing you to billing"}},
		{"endConversation", map[string]any{"conversationId": init.ConversationID}},
	} {
		ack := fmt.Sprint(i)
		if err := conn.WriteJSON(map[string]any{"event": f.event, "ack": ack, "data": f.data}); err != nil {
			t.Fatal(err)
		}
		for {
			var got struct {
				Event string          `json:"event"`
				Ack   string          `json:"ack"`
				Data  json.RawMessage `json:"data"`
			}
			if err := conn.ReadJSON(&got); err != nil {
				t.Fatalf("waiting for the answer to %s: %v", f.event, err)
			}
			if got.Ack == ack {
				if got.Event == "error" {
					t.Fatalf("%s refused: %s", f.event, got.Data)
				}
				break
			}
		}
	}
	return init.ConversationID
}

// apiGet reads a JSON answer as the supervisor.
func apiGet[T any](t *testing.T, srv *server, path string) T {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.url(path), nil)
	req.Header.Set("Authorization", "Bearer "+auditSupervisorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v T
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&v) != nil {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	return v
}

// shownState is what the audit page shows of the conversation then, read
// from the page or, in the same shape, from the API.
type shownState struct {
	Sequence     int64
	Status       string
	Participants []string // id=state
	Messages     []string // ids
}

func stateFromAPI(t *testing.T, srv *server, conv string, at int64) shownState {
	v := apiGet[struct {
		Conversation struct{ Status string }
		Participants []struct{ ID, State string }
		Messages     []struct{ ID string }
		AsOf         struct{ Sequence int64 }
	}](t, srv, fmt.Sprintf("/api/conversations/%s?at=%d", conv, at))
	s := shownState{Sequence: v.AsOf.Sequence, Status: v.Conversation.Status, Participants: []string{}, Messages: []string{}}
	for _, p := range v.Participants {
		s.Participants = append(s.Participants, p.ID+"="+p.State)
	}
	for _, m := range v.Messages {
		s.Messages = append(s.Messages, m.ID)
	}
	return s
}

const stateOnPage = `JSON.stringify({
	Sequence: Number(document.querySelector('#state').dataset.sequence),
	Status: document.querySelector('#summary [data-field="status"]').textContent,
	Participants: [...document.querySelectorAll('#participants li')].map(l => l.dataset.id + '=' + l.dataset.state),
	Messages: [...document.querySelectorAll('#messages li[data-id]')].map(l => l.dataset.id)})`

func stateOfPage(t *testing.T, b *tab) shownState {
	var s shownState
	if err := json.Unmarshal([]byte(eval[string](b, stateOnPage)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// slideTo moves the slider to event at, as a user's drag does.
func slideTo(b *tab, at int64) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(() => { const s = document.querySelector('#slider'); s.value = '%d'; s.dispatchEvent(new Event('input')); return true; })()`, at))
}

// TestAuditPage opens the audit page of a real conversation as a
// supervisor: the timeline holds every stored event, the slider shows the
// conversation as the point-in-time API gives it, playback steps to the
// end, raw JSON expands, and verification is reported as not available. An
// agent's key is turned away.
func TestAuditPage(t *testing.T) {
	srv := startServer(t, "--auth-secret", testSecret, "--api-keys", "sam:supervisor:"+auditSupervisorKey+",grace:agent:"+auditAgentKey)
	conv := auditChat(t, srv)
	events := apiGet[struct {
		Events []struct {
			Type     string
			Sequence int64
		}
	}](t, srv, "/api/conversations/"+conv+"/events").Events
	last := events[len(events)-1].Sequence

	sup := newTab(t)
	sup.do(chromedp.Navigate(srv.url("/console/audit/"+conv)),
		chromedp.WaitVisible(chromedp.CSS("#s-key")),
		chromedp.SendKeys(chromedp.CSS("#s-key"), auditSupervisorKey+"\r"))
	sup.waitFor("the timeline", fmt.Sprintf(`document.querySelectorAll('#timeline li').length === %d`, len(events)))
	sup.waitFor("the state after the last event", fmt.Sprintf(`document.querySelector('#state').dataset.sequence === '%d'`, last))
	sup.waitFor("the verify result", `document.querySelector('#verify').dataset.state === 'valid'`)
	if got := eval[string](sup, `document.querySelector('#verify').textContent`); !strings.Contains(got, fmt.Sprintf("Valid: %d events chained", len(events))) {
		t.Errorf("verify shows %q", got)
	}
	// Routing's decisions stand out, in words: the agent's hand-off among them.
	if !eval[bool](sup, `[...document.querySelectorAll('#timeline li.routing .what')].some(e => e.textContent.startsWith('Routing: handed off by Grace, queued for an agent'))`) {
		t.Errorf("the hand-off is not shown as a routing decision: %q", eval[string](sup, `[...document.querySelectorAll('#timeline .what')].map(e => e.textContent).join(' | ')`))
	}

	// The slider shows the conversation as the API has it at each event.
	for _, at := range []int64{0, 2, last / 2, last - 1, last} {
		slideTo(sup, at)
		sup.waitFor(fmt.Sprintf("the state after event %d", at), fmt.Sprintf(`document.querySelector('#state').dataset.sequence === '%d'`, at))
		page, api := stateOfPage(t, sup), stateFromAPI(t, srv, conv, at)
		if a, b := fmt.Sprint(page), fmt.Sprint(api); a != b {
			t.Errorf("after event %d the page shows %s, the API %s", at, a, b)
		}
	}

	// Playback from the start steps through every event to the end.
	slideTo(sup, 0)
	sup.waitFor("the first state", `document.querySelector('#state').dataset.sequence === '0'`)
	sup.do(chromedp.Click(chromedp.CSS("#play")))
	sup.waitFor("playing", `document.body.dataset.playing === 'true' && document.querySelector('#play').textContent === 'Pause'`)
	sup.waitFor("a step of playback", `Number(document.querySelector('#state').dataset.sequence) > 0`)
	sup.waitFor("the end of playback", fmt.Sprintf(`document.querySelector('#state').dataset.sequence === '%d' && !document.body.dataset.playing`, last))
	if got := stateOfPage(t, sup); fmt.Sprint(got) != fmt.Sprint(stateFromAPI(t, srv, conv, last)) {
		t.Errorf("after playback the page shows %+v", got)
	}

	// Each event's raw JSON expands.
	sup.do(chromedp.Click(chromedp.CSS(`#timeline li[data-seq="1"] .raw summary`)))
	sup.waitFor("the raw JSON", `document.querySelector('#timeline li[data-seq="1"] .raw').open && document.querySelector('#timeline li[data-seq="1"] .raw pre')`)
	var raw struct {
		Type     string
		Sequence int64
		Metadata map[string]any
		Data     map[string]any
	}
	if err := json.Unmarshal([]byte(eval[string](sup, `document.querySelector('#timeline li[data-seq="1"] .raw pre').textContent`)), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Sequence != 1 || raw.Type != events[1].Type || raw.Metadata["correlationId"] == nil || raw.Data == nil {
		t.Errorf("raw JSON of event 1: %+v", raw)
	}
	if e := sup.pageErrors(); len(e) > 0 {
		t.Errorf("uncaught errors in the page: %q", e)
	}

	// An agent's key is turned away before anything loads.
	agent := newTab(t)
	agent.do(chromedp.Navigate(srv.url("/console/audit/"+conv)),
		chromedp.WaitVisible(chromedp.CSS("#s-key")),
		chromedp.SendKeys(chromedp.CSS("#s-key"), auditAgentKey+"\r"))
	agent.waitFor("the refusal", `document.body.dataset.refused === 'true'`)
	if shown := eval[bool](agent, `!document.querySelector('#app').hidden || document.querySelectorAll('#timeline li').length > 0`); shown {
		t.Error("the audit page shows the history to an agent")
	}
	if got := eval[string](agent, `document.querySelector('#status').textContent`); !strings.Contains(got, "supervisor") {
		t.Errorf("the agent is told %q", got)
	}
}
