package browser

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// tinyPNG is a 1×1 PNG, as a data URL: it loads without any network.
const tinyPNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="

// sendAsBot joins conversation as a bot over a plain websocket (with
// authentication off) and sends one message with data; it waits for the
// acknowledgement.
func sendAsBot(t *testing.T, srv *server, conversation string, message map[string]any) {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	send := func(event string, ack string, data any) {
		t.Helper()
		if err := conn.WriteJSON(map[string]any{"event": event, "ack": ack, "data": data}); err != nil {
			t.Fatal(err)
		}
		for {
			var f struct {
				Event string          `json:"event"`
				Ack   string          `json:"ack"`
				Data  json.RawMessage `json:"data"`
			}
			if err := conn.ReadJSON(&f); err != nil {
				t.Fatalf("waiting for the answer to %s: %v", event, err)
			}
			if f.Ack == ack {
				if f.Event == "error" {
					t.Fatalf("%s refused: %s", event, f.Data)
				}
				return
			}
		}
	}
	send("joinConversation", "j", map[string]any{"conversationId": conversation, "id": "files-bot", "name": "Files", "role": "bot"})
	send("sendMessage", "m", message)
}

// checkAttachments has a bot send a link and an image to the customer's
// chat, and checks the widget shows a link and a thumbnail, and that a
// link of another scheme is never made clickable.
func checkAttachments(t *testing.T, srv *server, customer *tab) {
	t.Helper()
	conversation := eval[string](customer, `window.parleyWidget.saved.state.conversationId`)
	sendAsBot(t, srv, conversation, map[string]any{"type": "ChatMessage", "text": "Your files", "attachments": []map[string]string{
		{"name": "invoice.pdf", "contentUrl": "https://files.example.com/invoice.pdf", "type": "application/pdf"},
		{"name": "photo.png", "contentUrl": tinyPNG, "type": "image/png", "thumbnailUrl": tinyPNG},
		{"name": "local.txt", "contentUrl": "file:///etc/hostname"},
	}})
	customer.waitFor("the attachments", widgetJS(`return !!w.querySelector('a.attachment[href="https://files.example.com/invoice.pdf"]')`))
	customer.waitFor("the image's thumbnail", widgetJS(`const img = w.querySelector('img.thumb'); return !!img && img.complete && img.naturalWidth === 1`))
	if n := eval[int](customer, widgetJS(`return w.querySelectorAll('img.thumb').length`)); n != 1 {
		t.Errorf("%d thumbnails, want 1 (only the image has one)", n)
	}
	links := eval[[]string](customer, widgetJS(`return [...w.querySelectorAll('a.attachment')].map(a => a.getAttribute('href'))`))
	for _, l := range links {
		if !strings.HasPrefix(l, "https:") && !strings.HasPrefix(l, "http:") {
			t.Errorf("an attachment links to %q: only http(s) may be clickable", l)
		}
	}
}
