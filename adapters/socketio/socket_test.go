package socketio

import "testing"

func TestPacketOf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given string // a frame of the hub
		then  string // the Socket.IO packet, in an Engine.IO message
	}{
		{"an event is emitted with its data", `{"event":"messageArrived","data":{"text":"hi","sequence":3}}`, `42["messageArrived",{"text":"hi","sequence":3}]`},
		{"data that looks like a frame's end is kept whole", `{"event":"conversationInfo","data":{"t":"\",\"ack\":1}"}}`, `42["conversationInfo",{"t":"\",\"ack\":1}"}]`},
		{"an ack answers the callback with its data", `{"event":"ack","data":{"id":"m1"},"ack":7}`, `437[{"id":"m1"}]`},
		{"an error with an ack answers the callback with {error}", `{"event":"error","data":{"code":"invalid_request","message":"m"},"ack":12}`, `4312[{"error":{"code":"invalid_request","message":"m"}}]`},
		{"an error without an ack is emitted", `{"event":"error","data":{"code":"rate_limited","message":"m"}}`, `42["error",{"code":"rate_limited","message":"m"}]`},
		{"an error for a string ack is emitted", `{"event":"error","data":{"code":"x"},"ack":"a"}`, `42["error",{"code":"x"}]`},
		{"a frame with spaces is read as JSON", `{ "event":"agentState", "data":{"state":"ready"} }`, `42["agentState",{"state":"ready"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(packetOf([]byte(tc.given))); got != tc.then {
				t.Fatalf("given %s\nthen %s\ngot  %s", tc.given, tc.then, got)
			}
		})
	}
}

func TestEventFrame(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given string // an EVENT packet after its type
		then  string // the hub's frame, or the packet answered when refused
	}{
		{"with a callback", `5["sendMessage",{"text":"hi"}]`, `{"event":"sendMessage","data":{"text":"hi"},"ack":5}`},
		{"without one", `["joinConversation",{"conversationId":"c"}]`, `{"event":"joinConversation","data":{"conversationId":"c"}}`},
		{"with no data", `["endConversation"]`, `{"event":"endConversation"}`},
		{"extra arguments are left out", `["sendMessage",{"text":"a"},2]`, `{"event":"sendMessage","data":{"text":"a"}}`},
		{"not an array", `3{"event":"x"}`, `433[{"error":{"code":"invalid_request","field":"event","message":"an event packet must be [\"event\", data]"}}]`},
		{"a name that is not a string", `[1,{}]`, `42["error",{"code":"invalid_request","field":"event","message":"an event packet must be [\"event\", data]"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame, refused := eventFrame([]byte(tc.given))
			got := string(frame)
			if refused != nil {
				got = string(refused)
			}
			if got != tc.then {
				t.Fatalf("given %s\nthen %s\ngot  %s", tc.given, tc.then, got)
			}
		})
	}
}
