package domain

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// storedMessages are message data as Parley stores them, and variants in
// the corners where a hand-written decoder could part from encoding/json.
var storedMessages = []string{
	`{"id":"00000000-0000-4000-8000-000000000010","conversationId":"5f0c2a51-8d7e-4c1b-9a3e-2b7d9c4e6f10","type":"ChatMessage","from":{"id":"c7a4e2d9","name":"Maria Jansen","role":"customer"},"text":"Hello, my invoice is wrong.","timestamp":"2024-03-11T08:14:02.517Z"}`,
	`{"id":"9b2f6d1e-4a3c-4e7b-8d5f-0c1a2b3d4e5f","conversationId":"c","type":"ChatMessage","from":{"id":"agent-7","name":"Ann","role":"agent"},"to":[{"id":"agent-7","name":"Ann","role":"agent"},{"id":"x"}],"tag":"whisper","refId":"+31205550142","attachments":[{"type":"image/png","name":"invoice.png","contentUrl":"https://files.example.com/invoice.png","thumbnailUrl":"data:image/png;base64,iVBORw0KGgo="}],"info":{"ticket":{"id":1042,"big":1e400,"list":[1,-2.5e-3,true,false,null,"s"]}},"timestamp":"2024-03-11T08:14:02.517Z"}`,
	`{"id":"a","conversationId":"c","type":"ActivityMessage","from":{"id":"system","name":"Parley","role":"system"},"to":[],"text":"Welcome, Maria.","activityType":"greetings","info":null,"timestamp":"t"}`,
	`{"id":"a","from":{},"attachments":[],"info":{},"text":"héllo 😀 ✓"}`,
	`{}`, `{"info":[]}`, `{"info":"x"}`, `{"info":0}`, `{"info":-0.5E+7}`,
	// The fallback's corners: each must decode as encoding/json decodes it.
	`{"text":"a\"b"}`, `{"text":"\u00e9"}`, `{"id":"a","id":"b"}`, `{"from":{"id":"a"},"from":{"name":"b"}}`,
	`{"ID":"a"}`, `{"Text":"x"}`, `{"unknown":1}`, `{"to":null}`, `{"text":null}`, `{"from":{"id":"a","id":"b"}}`,
	` {"id":"a"}`, `{"id": "a"}`, `{"id":"a"} `, `{"info":{"a" :1}}`, `{"info":01}`, `{"info":1.}`, `{"info":tru}`,
	`{"sequence":3}`, `{"text":"` + "\x01" + `"}`, `{"text":"` + "\xff" + `"}`, `{"to":[{"id":"a"},]}`, `{"id":"a",}`,
	`{"info":{"n":` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70) + `}}`,
}

func TestDecodeStoredMessageMatchesEncodingJSON(t *testing.T) {
	const asStored = 9 // the first ones: the fast path must take them all
	for i, data := range storedMessages {
		got, ok := decodeStoredMessage([]byte(data))
		if !ok {
			if i < asStored {
				t.Errorf("the fast path refuses %s, as Parley stores it", data)
			}
			continue
		}
		var want Message
		if err := json.Unmarshal([]byte(data), &want); err != nil {
			t.Errorf("fast path accepts %s, encoding/json refuses it: %v", data, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\nfast path     %#v\nencoding/json %#v", data, got, want)
		}
	}
}

// FuzzDecodeStoredMessage holds the fast path to encoding/json: whatever
// it decodes, encoding/json decodes to the same message.
func FuzzDecodeStoredMessage(f *testing.F) {
	for _, data := range storedMessages {
		f.Add([]byte(data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeStoredMessage(data)
		if !ok {
			return
		}
		var want Message
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path accepts %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nfast path     %#v\nencoding/json %#v", data, got, want)
		}
	})
}
