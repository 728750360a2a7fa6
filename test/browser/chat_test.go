package browser

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// xss is what both sides type: it must be shown as text and never run.
const xss = `<img src=x onerror=alert(1)>`

// customerTexts lists the texts of the chat messages the widget shows.
var customerTexts = widgetJS(`return [...w.querySelectorAll('.log .msg .text')].map(e => e.textContent)`)

// agentTexts lists the texts of the messages in the console's pane.
const agentTexts = `[...document.querySelectorAll('.pane .log .msg .text')].map(e => e.textContent)`

// signInAgent signs in to the console with authentication off and gets
// ready for every queue.
func signInAgent(agent *tab, srv *server, name string) {
	agent.t.Helper()
	agent.do(chromedp.Navigate(srv.url("/console")),
		chromedp.WaitVisible(chromedp.CSS("#s-name")),
		chromedp.SendKeys(chromedp.CSS("#s-name"), name+"\r"),
		chromedp.WaitVisible(chromedp.CSS(".presence")))
	agent.waitFor("the queues and the connection", `document.querySelectorAll('.queues input').length > 0 && document.body.dataset.connected === 'true'`)
	agent.do(chromedp.Click(chromedp.CSS(".presence")))
	agent.waitFor("ready", `document.querySelector('.presence.ready')`)
}

// startChat opens the widget on page and fills in the pre-chat form.
func startChat(customer *tab, page, name, contact string) {
	customer.t.Helper()
	startChatWith(customer, page, name, contact)
}

// startChatWith is startChat with answers to the pre-chat questions the
// page asks (data-fields), as field, answer pairs.
func startChatWith(customer *tab, page, name, contact string, answers ...string) {
	customer.t.Helper()
	customer.do(chromedp.Navigate(page))
	customer.waitFor("the launcher", widgetJS(`return !!w.querySelector('.launcher')`))
	customer.do(chromedp.Click(inWidget(".launcher")))
	customer.waitFor("the pre-chat form", widgetJS(`return !!w.querySelector('#p-name')`))
	for i := 0; i+1 < len(answers); i += 2 {
		customer.do(chromedp.SendKeys(inWidget("#p-"+answers[i]), answers[i+1]))
	}
	customer.do(chromedp.SendKeys(inWidget("#p-name"), name),
		chromedp.SendKeys(inWidget("#p-contact"), contact+"\r"))
	customer.waitFor("the chat", widgetJS(`return !!w.querySelector('.composer') && window.parleyWidget.joined`))
}

// agentSend types a reply in the console's composer and sends it with Enter.
func agentSend(agent *tab, text string) {
	agent.t.Helper()
	agent.do(chromedp.SendKeys(chromedp.CSS(".composer textarea"), text+"\r"))
	agent.waitFor("the reply in the pane", `(`+agentTexts+`).includes(`+jsString(text)+`)`)
}

// TestChatThroughRouting is a customer in one browser and an agent in
// another, through routing: the whisper never reaches the customer, typed
// markup is text, a reload shows the conversation once, a cut connection
// loses nothing, and the ended chat's transcript downloads as a PDF.
func TestChatThroughRouting(t *testing.T) {
	// The flags of go tool task run: a newcomer's first chat.
	srv := startServer(t, "--auth=off")
	px := startProxy(t, srv.addr)
	agent, customer := newTab(t), newTab(t)

	signInAgent(agent, srv, "Grace")
	startChat(customer, px.url("/demo"), "Ada Lovelace", "ada@example.com")
	// With authentication off anyone may watch the queues: without
	// --queues there is the default one.
	agent.waitFor("the queue figures", `[...document.querySelectorAll('.figures tbody tr')].some(r => r.firstChild.textContent === 'default')`)

	agent.waitFor("the assignment in the inbox", `[...document.querySelectorAll('.conv .name')].some(e => e.textContent === 'Ada Lovelace')`)
	agent.waitFor("the conversation in the pane", `document.querySelector('.pane .composer')`)
	// Typing shows in the widget as the agent's typing indicator.
	agent.do(chromedp.SendKeys(chromedp.CSS(".composer textarea"), "Hello"))
	customer.waitFor("the agent's typing", widgetJS(`const p = w.querySelector('.typing'); return !p.hidden && p.textContent.endsWith('is typing…')`))
	eval[bool](agent, `(document.querySelector('.composer textarea').value = '', true)`)
	agentSend(agent, "Hello Ada, how can I help?")
	agent.do(chromedp.Click(chromedp.CSS("#whisper")))
	agentSend(agent, "psst: VIP customer")
	agent.do(chromedp.Click(chromedp.CSS("#whisper")))
	agentSend(agent, xss)
	agent.waitFor("the whisper shown apart", `[...document.querySelectorAll('.pane .msg.whisper .text')].some(e => e.textContent === 'psst: VIP customer')`)

	customer.waitFor("the agent's markup as text", widgetJS(`return [...w.querySelectorAll('.log .text')].some(e => e.textContent === `+jsString(xss)+`)`))
	customer.do(chromedp.SendKeys(inWidget(".composer textarea"), xss+"\r"))
	agent.waitFor("the customer's markup as text", `[...document.querySelectorAll('.pane .msg.theirs .text')].some(e => e.textContent === `+jsString(xss)+`)`)

	want := []string{"Hello Ada, how can I help?", xss, xss}
	if got := eval[[]string](customer, customerTexts); !slices.Equal(got, want) {
		t.Fatalf("customer sees %q, want %q (never the whisper)", got, want)
	}
	for _, b := range []*tab{agent, customer} {
		if n := eval[int](b, `document.querySelectorAll('img[src="x"]').length + `+widgetJS(`return w.querySelectorAll('img[src="x"]').length`)+`|0`); n != 0 {
			t.Errorf("%d <img src=x> elements made from typed text", n)
		}
	}

	// Then: reload shows the conversation once.
	{
		customer.do(chromedp.Reload())
		customer.waitFor("the rejoin", `window.parleyWidget && window.parleyWidget.joined`)
		// Anything the rejoin would add twice has arrived by now.
		time.Sleep(500 * time.Millisecond)
		if got := eval[[]string](customer, customerTexts); !slices.Equal(got, want) {
			t.Fatalf("after the reload the customer sees %q, want %q", got, want)
		}
	}

	// Then: a cut connection loses nothing.
	{
		px.cut()
		customer.waitFor("the widget to notice the cut", `window.parleyWidget && !window.parleyWidget.joined`)
		for _, text := range []string{"one", "two", "three"} {
			agentSend(agent, text)
		}
		px.restore()
		want = append(want, "one", "two", "three")
		customer.waitFor("the three messages", widgetJS(`return w.querySelectorAll('.log .msg .text').length >= 6`))
		time.Sleep(500 * time.Millisecond)
		if got := eval[[]string](customer, customerTexts); !slices.Equal(got, want) {
			t.Fatalf("after the reconnect the customer sees %q, want %q", got, want)
		}
	}

	checkAttachments(t, srv, customer)

	// Then: the ended chat's transcript is a PDF.
	{
		dir := t.TempDir()
		if _, err := chromedp.CallBrowser(customer.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: chromedp.FromContext(customer.ctx).BrowserContextID, DownloadPath: dir,
		}); err != nil {
			t.Fatal(err)
		}
		customer.do(chromedp.Click(inWidget("button.end")))
		customer.waitFor("the ended view", widgetJS(`return !!w.querySelector('.ended button.pdf')`))
		agent.waitFor("the transcript links in the console", `document.querySelector('.transcript-pdf')`)
		customer.do(chromedp.Click(inWidget(".ended button.pdf")))
		pdf := waitForFile(t, dir, ".pdf")
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("the download is not a PDF: %q", pdf[:min(len(pdf), 20)])
		}
		// Without --smtp-url the request is stored, to be sent once a
		// mail server is configured: the customer is told it is on its way.
		customer.do(chromedp.Click(inWidget(".ended button.mail")))
		customer.waitFor("the email notice", widgetJS(`return w.querySelector('.status').textContent.includes('on its way')`))
	}

	for _, b := range []*tab{agent, customer} {
		if d := b.dialogsSeen(); len(d) > 0 {
			t.Errorf("a typed script ran: dialogs %q", d)
		}
		if e := b.pageErrors(); len(e) > 0 {
			t.Errorf("uncaught errors in the page: %q", e)
		}
	}
}

// waitForFile waits up to 20 s for a complete file with the extension in
// dir and returns its bytes.
func waitForFile(t *testing.T, dir, ext string) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
		if len(matches) > 0 {
			if b, err := os.ReadFile(matches[0]); err == nil && len(b) > 0 {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s file in %s after 20s", ext, dir)
	return nil
}
