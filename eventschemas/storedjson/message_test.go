package storedjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// storedMessages are message data as Parley stores them, and variants in
// the corners where a hand-written decoder could part from encoding/json.
var storedMessages = []string{
	`{"id":"00000000-0000-4000-8000-000000000010","conversationId":"5f0c2a51-8d7e-4c1b-9a3e-2b7d9c4e6f10","type":"ChatMessage","from":{"id":"c7a4e2d9","name":"Maria Jansen","role":"customer"},"text":"Hello, my invoice is wrong.","timestamp":"2024-03-11T08:14:02.517Z"}`,
	`{"id":"9b2f6d1e-4a3c-4e7b-8d5f-0c1a2b3d4e5f","conversationId":"c","type":"ChatMessage","from":{"id":"agent-7","name":"Ann","role":"agent"},"to":[{"id":"agent-7","name":"Ann","role":"agent"},{"id":"x"}],"tag":"whisper","refId":"+31205550142","attachments":[{"type":"image/png","name":"invoice.png","contentUrl":"https://files.example.com/invoice.png","thumbnailUrl":"data:image/png;base64,iVBORw0KGgo="}],"info":{"ticket":{"id":1042,"big":1e400,"list":[1,-2.5e-3,true,false,null,"s"]}},"timestamp":"2024-03-11T08:14:02.517Z"}`,
	`{"id":"a","conversationId":"c","type":"domain.ActivityMessage","from":{"id":"system","name":"Parley","role":"system"},"to":[],"text":"Welcome, Maria.","activityType":"greetings","info":null,"timestamp":"t"}`,
	`{"id":"a","from":{},"attachments":[],"info":{},"text":"héllo 😀 ✓"}`,
	`{}`, `{"info":[]}`, `{"info":"x"}`, `{"info":0}`, `{"info":-0.5E+7}`,
	// The fallback's corners: each must decode as encoding/json decodes it.
	`{"text":"a\"b"}`, `{"text":"\u00e9"}`, `{"id":"a","id":"b"}`, `{"from":{"id":"a"},"from":{"name":"b"}}`,
	`{"ID":"a"}`, `{"Text":"x"}`, `{"unknown":1}`, `{"to":null}`, `{"text":null}`, `{"from":{"id":"a","id":"b"}}`,
	` {"id":"a"}`, `{"id": "a"}`, `{"id":"a"} `, `{"info":{"a" :1}}`, `{"info":01}`, `{"info":1.}`, `{"info":tru}`,
	`{"sequence":3}`, `{"text":"` + "\x01" + `"}`, `{"text":"` + "\xff" + `"}`, `{"to":[{"id":"a"},]}`, `{"id":"a",}`,
	`{"info":{"n":` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70) + `}}`,
}

func TestDecodeMessageMatchesEncodingJSON(t *testing.T) {
	const asStored = 9 // the first ones: the fast path must take them all
	for i, data := range storedMessages {
		got, ok := DecodeMessage([]byte(data))
		if !ok {
			if i < asStored {
				t.Errorf("the fast path refuses %s, as Parley stores it", data)
			}
			continue
		}
		var want domain.Message
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
		got, ok := DecodeMessage(data)
		if !ok {
			return
		}
		var want domain.Message
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path accepts %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nfast path     %#v\nencoding/json %#v", data, got, want)
		}
	})
}

// appendCases are messages in every corner of their encoding: omitted
// members, empty objects and arrays, HTML and control characters, invalid
// UTF-8, info that encoding/json compacts and escapes.
func appendCases() []domain.Message {
	seq := uint64(18446744073709551615)
	zero := uint64(0)
	return []domain.Message{
		{},
		{ID: "a", ConversationID: "c", Type: domain.TypeChatMessage, From: domain.Participant{ID: "p", Name: "Ann", Role: domain.RoleAgent},
			To: []domain.Participant{{ID: "x"}, {ID: "y", Name: "<b>&</b>", Role: domain.RoleCustomer}}, Text: "line\nbreak \"quoted\" \u2028 \xff é 😀",
			Tag: domain.TagWhisper, RefID: "+3120", Attachments: []domain.Attachment{{}, {Type: "image/png", Name: "n", ContentURL: "u", ThumbnailURL: "t"}, {Name: "only"}},
			ActivityType: domain.ActivityTyping, Info: json.RawMessage(` { "a" : [1, "<x>"] } `), Timestamp: "2024-03-11T08:14:02.517Z", Sequence: &seq},
		{To: []domain.Participant{}, Attachments: []domain.Attachment{}, Info: json.RawMessage(`null`), Sequence: &zero},
		{Info: json.RawMessage(`{"t":1733212800123,"s":"é","a":[true,null,-1.5e3]}`)},
		{Info: json.RawMessage(`{"s":"\u003c"}`)}, {Info: json.RawMessage(`"a&b"`)},
	}
}

func TestAppendMessageMatchesEncodingJSON(t *testing.T) {
	for _, m := range appendCases() {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendMessage([]byte("prefix"), &m)
		if err != nil || string(got) != "prefix"+string(want) {
			t.Errorf("AppendMessage(%#v):\ngot  %s (%v)\nwant prefix%s", m, got, err, want)
		}
	}
	// A field added to domain.Message and not to AppendMessage must fail here.
	full := appendCases()[1]
	for _, v := range []reflect.Value{reflect.ValueOf(full), reflect.ValueOf(full.From), reflect.ValueOf(full.Attachments[1])} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("the full case leaves %s.%s unset: set it here, and encode it in AppendMessage", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
	m := domain.Message{Info: json.RawMessage(`{"a":`)}
	if _, err := AppendMessage(nil, &m); err == nil {
		t.Error("AppendMessage accepts an info that is not JSON")
	}
}

// FuzzAppendMessage holds AppendMessage to encoding/json: every message
// encoding/json can decode is encoded by both to the same bytes.
func FuzzAppendMessage(f *testing.F) {
	for _, data := range storedMessages {
		f.Add([]byte(data))
	}
	for _, m := range appendCases() {
		data, _ := json.Marshal(m)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m domain.Message
		if json.Unmarshal(data, &m) != nil {
			return
		}
		want, werr := json.Marshal(m)
		got, gerr := AppendMessage(nil, &m)
		if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q:\nAppendMessage %s (%v)\nencoding/json %s (%v)", data, got, gerr, want, werr)
		}
	})
}

func TestDecodeMessageGivesZeroWhenRefused(t *testing.T) {
	if m, ok := DecodeMessage([]byte(`{"id":"a","text":"b\n"}`)); ok || !reflect.DeepEqual(m, domain.Message{}) {
		t.Errorf("DecodeMessage = %#v, %v; want a zero domain.Message, false", m, ok)
	}
	if m, ok := DecodeMessage([]byte(`{"id":"a"}`)); !ok || m.ID != "a" {
		t.Errorf("DecodeMessage = %#v, %v; want id a, true", m, ok)
	}
}
