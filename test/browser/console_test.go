package browser

import (
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// signIn signs an agent in to the console at url (authentication off) and
// gets it ready for one queue.
func signIn(agent *tab, url, name, queue string) {
	agent.t.Helper()
	agent.do(chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#s-name")),
		chromedp.SendKeys(chromedp.CSS("#s-name"), name+"\r"),
		chromedp.WaitVisible(chromedp.CSS(".presence")))
	agent.waitFor("the queues and the connection", `document.querySelectorAll('.queues input').length > 0 && document.body.dataset.connected === 'true'`)
	eval[bool](agent, `(document.querySelectorAll('.queues input').forEach(i => i.checked = i.value === `+jsString(queue)+`), true)`)
	agent.do(chromedp.Click(chromedp.CSS(".presence")))
	agent.waitFor("ready", `document.querySelector('.presence.ready')`)
}

// TestConsoleReconnectsUnreadAndTransfer: the console loses its connection
// while the customer writes and shows every message once, in order; a
// second chat counts its unread messages; a transfer to another queue
// moves the chat to that queue's agent, with its history.
func TestConsoleReconnectsUnreadAndTransfer(t *testing.T) {
	srv := startServer(t, "--auth=off", "--queues", "billing,tech")
	px := startProxy(t, srv.addr)
	grace, linus, ada, bob := newTab(t), newTab(t), newTab(t), newTab(t)

	signIn(grace, px.url("/console"), "Grace", "billing")
	signIn(linus, srv.url("/console"), "Linus", "tech")
	startChat(ada, srv.url("/demo?subject=billing"), "Ada Lovelace", "ada@example.com")
	grace.waitFor("Ada's chat", `document.querySelector('.pane .composer')`)

	px.cut()
	grace.waitFor("the console to notice the cut", `document.querySelector('#status').textContent.includes('Connection lost')`)
	for _, text := range []string{"a", "b", "c"} {
		ada.do(chromedp.SendKeys(inWidget(".composer textarea"), text+"\r"))
		ada.waitFor("the message sent", widgetJS(`return [...w.querySelectorAll('.log .msg.mine .text')].some(e => e.textContent === `+jsString(text)+`)`))
	}
	px.restore()
	grace.waitFor("the three messages", `(`+agentTexts+`).length >= 3`)
	if got, want := eval[[]string](grace, agentTexts), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("after the reconnect the console shows %q, want %q", got, want)
	}

	// A name is typed text too: markup in it stays text.
	startChat(bob, srv.url("/demo?subject=billing"), "Bob <b>Builder</b>", "+1 555 0100")
	grace.waitFor("Bob's chat in the inbox", `[...document.querySelectorAll('.conv .name')].some(e => e.textContent === 'Bob <b>Builder</b>')`)
	bob.do(chromedp.SendKeys(inWidget(".composer textarea"), "hello?\r"))
	grace.waitFor("one unread message of Bob's", `[...document.querySelectorAll('.conv')].some(c => c.querySelector('.name').textContent === 'Bob <b>Builder</b>' && c.querySelector('.unread') && c.querySelector('.unread').textContent === '1')`)
	grace.waitFor("the new chat and the unread count in the title", `document.title === '(1) New chat from Bob <b>Builder</b> · Parley console'`)

	// Ada's chat is still the one on screen: hand it to the tech queue.
	grace.do(chromedp.SendKeys(chromedp.CSS("#transfer-to"), "tech"), chromedp.Click(chromedp.CSS(".actions button:not(.end):not([type=submit])")))
	linus.waitFor("Ada's chat, with its history", `(`+agentTexts+`).join() === 'a,b,c'`)
	grace.waitFor("Ada's chat to leave the inbox", `![...document.querySelectorAll('.conv .name')].some(e => e.textContent === 'Ada Lovelace')`)
	ada.waitFor("Linus's join", widgetJS(`return [...w.querySelectorAll('.log .notice')].some(e => e.textContent.startsWith('linus joined the chat'))`))
	if n := eval[int](grace, `document.querySelectorAll('.inbox b').length`); n != 0 {
		t.Errorf("a customer's name was rendered as markup (%d <b> elements)", n)
	}

	// Linus ends the chat: the customer's widget offers the transcript.
	linus.do(chromedp.Click(chromedp.CSS(".actions button.end")))
	linus.waitFor("the transcript links", `document.querySelector('.transcript-pdf')`)
	ada.waitFor("the ended view", widgetJS(`return !!w.querySelector('.ended button.pdf') && !w.querySelector('.composer')`))
	for _, b := range []*tab{grace, linus, ada, bob} {
		if e := b.pageErrors(); len(e) > 0 {
			t.Errorf("uncaught errors in the page: %q", e)
		}
	}
}
