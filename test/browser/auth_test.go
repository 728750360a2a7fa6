package browser

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

const (
	testSecret = "browser-secret-0123456789abcdef0123456789"
	agentKey   = "agent-key-0123456789-secret"
)

// hostPage serves, on ln, a page of another origin that embeds the widget
// with one script tag, as a customer's website would, with loud styles of
// its own.
func hostPage(t *testing.T, ln net.Listener, srv *server, attrs string) string {
	t.Helper()
	page := fmt.Sprintf(`<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<style>button { background: hotpink !important; font-size: 30px !important; }</style></head>
<body><h1>A shop on another site</h1>
<script src="%s" %s async></script></body></html>`, srv.url("/widget.js"), attrs)
	hp := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	hp.Listener.Close()
	hp.Listener = ln
	hp.Start()
	t.Cleanup(hp.Close)
	return hp.URL + "/"
}

// TestAuthenticatedWidgetAndConsole runs with authentication on: the widget
// on another site's page (allowed by --allowed-origins) chats in Hebrew,
// laid out right to left, with the token init returned; the agent signs in
// with an API key that is never shown again; an expired token starts a new
// chat with a notice.
func TestAuthenticatedWidgetAndConsole(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "--auth-secret", testSecret, "--api-keys", "grace:agent:"+agentKey,
		"--allowed-origins", "http://"+ln.Addr().String(), "--token-ttl", "6s")
	page := hostPage(t, ln, srv, `data-channel="web" data-language="he" data-title="צ׳אט" data-fields="comment:במה נוכל לעזור?"`)
	agent, customer := newTab(t), newTab(t)

	agent.do(chromedp.Navigate(srv.url("/console")),
		chromedp.WaitVisible(chromedp.CSS("#s-key")),
		chromedp.SendKeys(chromedp.CSS("#s-key"), agentKey+"\r"),
		chromedp.WaitVisible(chromedp.CSS(".presence")))
	agent.waitFor("the name of the key", `document.querySelector('#me').textContent.includes('grace')`)
	if shown := eval[bool](agent, `document.documentElement.outerHTML.includes(`+jsString(agentKey)+`) || [...document.querySelectorAll('input')].some(i => i.value.includes(`+jsString(agentKey)+`))`); shown {
		t.Fatal("the console shows the API key after sign-in")
	}

	// No agent is ready: the customer is told, in plain words, and waits.
	startChatWith(customer, page, "נועה כהן", "+972 50 123 4567", "comment", "החשבון שלי")
	customer.waitFor("the queue notices", widgetJS(`const n = [...w.querySelectorAll('.log .notice')].map(e => e.textContent);
		return n.some(t => t.startsWith('Looking for an agent…')) && n.some(t => t.startsWith('All agents are busy; you are number 1 in the queue'))`))
	// Queue figures are a supervisor's: an agent's key does not show them.
	if shown := eval[bool](agent, `!document.querySelector('#queues').hidden`); shown {
		t.Error("an agent's console shows the queue figures")
	}
	agent.do(chromedp.Click(chromedp.CSS(".presence")))
	agent.waitFor("ready", `document.querySelector('.presence.ready')`)
	agent.waitFor("the assignment", `document.querySelector('.pane .composer')`)
	agent.waitFor("the customer's pre-chat answer", `[...document.querySelectorAll('.details dd')].some(e => e.textContent === 'החשבון שלי')`)

	customer.do(chromedp.SendKeys(inWidget(".composer textarea"), "שלום, אני צריכה עזרה עם החשבון\r"))
	agent.waitFor("the Hebrew message", `[...document.querySelectorAll('.pane .msg.theirs .text')].some(e => e.textContent.startsWith('שלום'))`)
	agentSend(agent, "בשמחה! מה מספר ההזמנה?")
	customer.waitFor("the agent's answer", widgetJS(`return [...w.querySelectorAll('.log .text')].some(e => e.textContent.startsWith('בשמחה'))`))

	if dir := eval[string](customer, widgetJS(`return getComputedStyle(w.querySelector('.parley')).direction`)); dir != "rtl" {
		t.Errorf("the Hebrew widget's direction is %q, want rtl", dir)
	}
	if dir := eval[string](customer, widgetJS(`return getComputedStyle([...w.querySelectorAll('.log .text')].pop()).direction`)); dir != "rtl" {
		t.Errorf("a Hebrew message's direction is %q, want rtl", dir)
	}
	// Right to left, the launcher and panel sit on the left, and the
	// customer's own messages on the left of the log.
	if left := eval[bool](customer, widgetJS(`return w.querySelector('.launcher').getBoundingClientRect().left < innerWidth / 2`)); !left {
		t.Error("the Hebrew widget's launcher is not on the left")
	}
	if bg := eval[string](customer, widgetJS(`return getComputedStyle(w.querySelector('.launcher')).backgroundColor`)); bg == "rgb(255, 105, 180)" {
		t.Error("the host page's button style reached the widget")
	}

	// The token lives 6 s: a reload after that starts a new chat, saying why.
	time.Sleep(6500 * time.Millisecond)
	customer.do(chromedp.Reload())
	customer.waitFor("the notice of the expired chat", widgetJS(`return w.querySelector('.status').textContent.includes('expired') && !!w.querySelector('#p-name')`))
	if e := customer.pageErrors(); len(e) > 0 {
		t.Errorf("uncaught errors in the page: %q", e)
	}
}

// TestKeyAsSubprotocol: a browser client sends its API key as a
// subprotocol; the server picks "parley" and takes the key as the
// connection's credential, and refuses a bad key before the upgrade.
func TestKeyAsSubprotocol(t *testing.T) {
	srv := startServer(t, "--auth-secret", testSecret, "--api-keys", "grace:agent:"+agentKey)
	dial := func(key string) (*websocket.Conn, *http.Response, error) {
		d := websocket.Dialer{Subprotocols: []string{"parley", "parley.key." + base64.RawURLEncoding.EncodeToString([]byte(key))}}
		return d.Dial("ws://"+srv.addr+"/ws", nil)
	}
	conn, _, err := dial(agentKey)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if conn.Subprotocol() != "parley" {
		t.Fatalf("the server picked %q, want parley", conn.Subprotocol())
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(map[string]any{"event": "agentState", "ack": "a", "data": map[string]any{"state": "notReady"}}); err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Event string `json:"event"`
		Data  struct {
			AgentID string `json:"agentId"`
		} `json:"data"`
	}
	if err := conn.ReadJSON(&answer); err != nil {
		t.Fatal(err)
	}
	if answer.Event != "ack" || answer.Data.AgentID != "grace" {
		t.Fatalf("agentState answered %+v, want an ack for grace", answer)
	}
	if _, res, err := dial("not-a-key-at-all-0000"); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a bad key: err %v, response %v; want 401", err, res)
	}
}
