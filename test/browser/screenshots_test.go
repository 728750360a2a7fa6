package browser

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScreenshots walks through a chat and photographs the widget (closed,
// the pre-chat form, the chat, ended) and the console. It writes them to
// $PARLEY_SCREENSHOTS when set (go tool task screenshots sets it to
// docs/screenshots), else to a temporary directory, so that the walk is
// checked on every run.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PARLEY_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "--auth=off", "--queues", "billing,tech")
	agent, customer := newTab(t), newTab(t)
	shoot := func(b *tab, name string) {
		t.Helper()
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	agent.do(chromedp.EmulateViewport(1280, 760))
	customer.do(chromedp.EmulateViewport(420, 760, chromedp.EmulateMobile))

	signInAgent(agent, srv, "Grace Hopper")
	customer.do(chromedp.Navigate(srv.url("/demo?title=Acme+support")))
	customer.waitFor("the launcher", widgetJS(`return !!w.querySelector('.launcher')`))
	shoot(customer, "widget-closed.png")

	customer.do(chromedp.Click(inWidget(".launcher")))
	customer.waitFor("the pre-chat form", widgetJS(`return !!w.querySelector('#p-name')`))
	// Opening moves the focus into the form, and on a phone-sized screen the
	// panel fits.
	customer.waitFor("the focus in the name field", widgetJS(`return w.activeElement && w.activeElement.id === 'p-name'`))
	if fits := eval[bool](customer, widgetJS(`const r = w.querySelector('.panel').getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && r.top >= 0`)); !fits {
		t.Error("the panel does not fit a phone-sized screen")
	}
	customer.do(chromedp.SendKeys(inWidget("#p-name"), "Ada Lovelace"), chromedp.SendKeys(inWidget("#p-contact"), "ada@example.com"))
	shoot(customer, "widget-prechat.png")

	customer.do(chromedp.SendKeys(inWidget("#p-contact"), "\r"))
	customer.waitFor("the chat", widgetJS(`return !!w.querySelector('.composer') && window.parleyWidget.joined`))
	agent.waitFor("the conversation in the pane", `document.querySelector('.pane .composer')`)
	customer.do(chromedp.SendKeys(inWidget(".composer textarea"), "Hi! I was charged twice for my order.\r"))
	agentSend(agent, "Hello Ada, I am sorry about that. Let me look at it.")
	agent.do(chromedp.Click(chromedp.CSS("#whisper")))
	agentSend(agent, "Refund approved by billing; double charge confirmed.")
	agent.do(chromedp.Click(chromedp.CSS("#whisper")))
	agentSend(agent, "I have refunded the second charge; you will see it in 2-3 days.")
	customer.waitFor("the refund message", widgetJS(`return w.querySelectorAll('.log .msg').length >= 3`))
	customer.do(chromedp.SendKeys(inWidget(".composer textarea"), "Thank you"))
	shoot(customer, "widget-chat.png")
	shoot(agent, "console.png")

	customer.do(chromedp.SendKeys(inWidget(".composer textarea"), "\r"), chromedp.Click(inWidget("button.end")))
	customer.waitFor("the ended view", widgetJS(`return !!w.querySelector('.ended')`))
	shoot(customer, "widget-ended.png")
	agent.waitFor("the transcript links", `document.querySelector('.transcript-pdf')`)
	shoot(agent, "console-ended.png")
}
