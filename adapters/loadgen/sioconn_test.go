package loadgen

import "testing"

func TestSocketIOTranslation(t *testing.T) {
	for _, tc := range []struct{ name, packet, frame string }{
		{"an event", `42["messageArrived",{"text":"hi"}]`, `{"event":"messageArrived","data":{"text":"hi"}}`},
		{"an ack", `43123[{"id":"m"}]`, `{"event":"ack","data":{"id":"m"},"ack":123}`},
		{"an error ack", `437[{"error":{"code":"x"}}]`, `{"event":"error","data":{"code":"x"},"ack":7}`},
		{"the setup ack", `430[{"id":"m"}]`, `{"event":"ack","data":{"id":"m"},"ack":"setup"}`},
		{"a ping carries no frame", `2`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(fromSIO([]byte(tc.packet))); got != tc.frame {
				t.Fatalf("given %s\nwant %s\ngot  %s", tc.packet, tc.frame, got)
			}
		})
	}
	for _, tc := range []struct{ name, frame, packet string }{
		{"a bench message", string(sendFrame(nil, "hi", 42, 41, true)), `4242["sendMessage",{"type":"ChatMessage","text":"hi","info":{"t":41}}]`},
		{"a setup call", `{"ack":"setup","data":{"conversationId":"c"},"event":"joinConversation"}`, `420["joinConversation",{"conversationId":"c"}]`},
		{"no ack", `{"event":"endConversation","data":{}}`, `42["endConversation",{}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toSIO([]byte(tc.frame))
			if err != nil || string(got) != tc.packet {
				t.Fatalf("given %s\nwant %s\ngot  %s (%v)", tc.frame, tc.packet, got, err)
			}
		})
	}
}
