package ws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas"
)

// decided returns every kind of message as the domain decides and stores it:
// chat messages with each optional field and all of them at once, whispers,
// messages to some participants, attachments, info, and every activity kind,
// with the ConversationStarted event first.
func decided(t testing.TB) []domain.EventData {
	t.Helper()
	const convID = "0b6f5a52-3d4e-4c1a-9f3e-6a7b8c9d0e1f"
	c := domain.NewConversation(convID)
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	n := 0
	env := func() domain.Env {
		clock = clock.Add(1500 * time.Millisecond)
		return domain.Env{Now: clock, NewID: func() string {
			n++
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
		}, Limits: domain.DefaultLimits}
	}
	var out []domain.EventData
	do := func(cmd domain.Command) {
		t.Helper()
		events, err := domain.Decide(c, cmd, env())
		if err != nil {
			t.Fatalf("%T: %v", cmd, err)
		}
		for _, e := range events {
			id := fmt.Sprintf("10000000-0000-4000-8000-%012d", len(out))
			if m, ok := e.(domain.Message); ok {
				id = m.ID
			}
			d, err := domain.EncodeEvent(id, e, domain.Metadata{CorrelationID: id, Connection: "conn-1"})
			if err != nil {
				t.Fatal(err)
			}
			c.Apply(domain.Revision(c.Version+1), e)
			out = append(out, d)
		}
	}
	customer := domain.Participant{ID: "cust-1"}
	agent := domain.Participant{ID: "agent-1", Name: "Grace <Hopper> & Co", Role: domain.RoleAgent}
	sup := domain.Participant{ID: "sup-1", Name: "Sam", Role: domain.RoleSupervisor}
	bot := domain.Participant{ID: "bot-1", Role: domain.RoleBot}
	do(domain.StartConversation{ConversationID: convID, CustomerID: customer.ID, Channel: "web", Language: "fr",
		Subject: "Colis", URL: "https://shop.example/o/1?a=1&b=2", Comment: "<script>",
		Personal: domain.PersonalData{FirstName: "Zoé", LastName: "Dupré", Email: "zoe@example.com", RefID: "r-1"}})
	for _, p := range []domain.Participant{customer, agent, sup, bot} {
		do(domain.JoinConversation{Participant: p})
	}
	chat := func(m domain.Message) {
		t.Helper()
		m.Type = domain.TypeChatMessage
		do(domain.PostMessage{Message: m})
	}
	activity := func(from domain.Participant, kind string, info string) {
		t.Helper()
		m := domain.Message{Type: domain.TypeActivityMessage, From: domain.Participant{ID: from.ID}, ActivityType: kind}
		if info != "" {
			m.Info = json.RawMessage(info)
		}
		do(domain.PostMessage{Message: m})
	}
	to := []domain.Participant{{ID: customer.ID}, {ID: sup.ID}}
	attachments := []domain.Attachment{
		{Type: "image/png", Name: "reçu \"final\".png", ContentURL: "https://files.example/a.png?x=1&y=<2>", ThumbnailURL: "https://files.example/a-small.png"},
		{ContentURL: "data:,hello"},
	}
	chat(domain.Message{From: customer, Text: "Bonjour, où est mon colis ? \"vite\" \\ <b>&amp;</b> \u2028 😀\n\ttab"})
	chat(domain.Message{ID: "5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90", ConversationID: convID, From: agent, To: to,
		Text: "Everything at once", Tag: domain.TagWhisper, RefID: "+33 6 12 34 56 78", Attachments: attachments,
		Info: json.RawMessage(`{ "priority" : 2, "tags": ["a", "b"], "nested": {"x": null, "y": true, "z": 1.5e3}, "html": "<i>&</i>" }`)})
	chat(domain.Message{From: sup, Text: "whisper", Tag: domain.TagWhisper})
	chat(domain.Message{From: agent, Text: "to the customer only", To: []domain.Participant{{ID: customer.ID}}})
	chat(domain.Message{From: customer, Attachments: attachments[1:]})
	chat(domain.Message{From: bot, Text: "with info", Info: json.RawMessage(`{}`)})
	chat(domain.Message{From: customer, Text: "refId", RefID: "r-1"})
	activity(customer, domain.ActivityTyping, "")
	activity(agent, domain.ActivityTyping, `{"state":"composing"}`)
	activity(agent, domain.ActivityHandOff, `{"queue":"billing","reason":"customer asked for a refund"}`)
	activity(bot, domain.ActivityNoAgentAvailable, "")
	activity(sup, domain.ActivityParticipantAdded, `{"id":"agent-2","name":"Ann","role":"agent"}`)
	activity(sup, domain.ActivityParticipantRemoved, `{"id":"agent-2"}`)
	do(domain.LeaveConversation{Participant: bot})
	do(domain.JoinConversation{Participant: bot}) // a second join: no greetings
	do(domain.EndConversation{By: agent})
	return out
}

// recorded returns data as the store hands it back, at revision rev, after
// checking that the schema of its type accepts it.
func recorded(t testing.TB, reg *eventschemas.Registry, typ string, rev uint64, data []byte) domain.RecordedEvent {
	t.Helper()
	v := domain.SchemaVersions[typ]
	if err := reg.Validate(typ, v, data); err != nil {
		t.Fatalf("the store would not hold %s: %v", data, err)
	}
	return domain.RecordedEvent{ID: fmt.Sprintf("id-%d", rev), Stream: domain.StreamName("c"), Type: typ, Revision: domain.Revision(rev),
		Position: domain.Position(rev + 1), Data: data, Metadata: domain.Metadata{SchemaVersion: v}}
}

// sameFrame checks that the frames spliced from rec's stored data (its
// messageArrived, and an ack of it) are the frames encoded from the decoded
// message: the same JSON value, and the same bytes when byteEqual.
func sameFrame(t testing.TB, rec domain.RecordedEvent, byteEqual bool) {
	t.Helper()
	e, err := domain.DecodeEvent(rec)
	if err != nil {
		t.Fatal(err)
	}
	msg := e.(domain.Message)
	for _, ack := range []json.RawMessage{nil, json.RawMessage(`"k<1>"`)} {
		want := encodeFrame(EventMessageArrived, nil, msg)
		got := storedMessageFrame(rec.Data, uint64(rec.Revision), msg)
		if ack != nil {
			want = encodeFrame(EventAck, ack, msg)
			got = storedAckFrame(ack, rec.Data, uint64(rec.Revision), msg)
		}
		var wantV, gotV any
		if err := json.Unmarshal(want, &wantV); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("spliced frame is not JSON: %v\n%s", err, got)
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Fatalf("spliced frame differs from the encoded one\nstored:  %s\nspliced: %s\nencoded: %s", rec.Data, got, want)
		}
		if byteEqual && !bytes.Equal(got, want) {
			t.Fatalf("spliced frame is not byte for byte the encoded one\nspliced: %s\nencoded: %s", got, want)
		}
	}
}

func TestStoredMessageFrameIsTheEncodedFrame(t *testing.T) {
	reg := eventschemas.MustLoad()
	kinds := map[string]bool{}
	for i, d := range decided(t) {
		rec := recorded(t, reg, d.Type, uint64(i), d.Data)
		if d.Type != domain.EventChatMessage && d.Type != domain.EventActivityMessage {
			continue
		}
		e, _ := domain.DecodeEvent(rec)
		m := e.(domain.Message)
		kinds[m.Type+"/"+m.ActivityType] = true
		if !spliceable(d.Data) {
			t.Errorf("message %d is encoded, not spliced: %s", i, d.Data)
		}
		// What Parley stores splices into the very bytes it encoded before.
		sameFrame(t, rec, true)
	}
	for _, k := range []string{domain.ActivityGreetings, domain.ActivityTyping, domain.ActivityParticipantAdded,
		domain.ActivityParticipantRemoved, domain.ActivityParticipantJoined, domain.ActivityParticipantLeft,
		domain.ActivityEndOfConversation, domain.ActivityHandOff, domain.ActivityNoAgentAvailable} {
		if !kinds[domain.TypeActivityMessage+"/"+k] {
			t.Errorf("no %s activity checked", k)
		}
	}
	if !kinds[domain.TypeChatMessage+"/"] {
		t.Error("no ChatMessage checked")
	}
	// Large sequences.
	for _, rev := range []uint64{0, 9, 10, 1 << 32, 1<<63 - 1} {
		sameFrame(t, recorded(t, reg, domain.EventChatMessage, rev, []byte(`{"id":"5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90","conversationId":"c","type":"ChatMessage","from":{"id":"a"},"text":"t","timestamp":"2026-03-01T09:00:00.000Z"}`)), true)
	}
}

// Data that another writer stored in a shape Parley does not write, but the
// schema accepts, still gives the frame that decoding and encoding gives.
func TestStoredMessageFrameOfForeignData(t *testing.T) {
	reg := eventschemas.MustLoad()
	const base = `"id":"5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90","conversationId":"c","from":{"id":"a","role":"agent"},"timestamp":"2026-03-01T09:00:00.000Z"`
	for _, tc := range []struct {
		name, typ, data string
		spliced         bool
	}{
		{"empty to", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"x","to":[]}`, false},
		{"empty to with space", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"x","to":[ ` + "\n" + ` ]}`, false},
		{"empty attachments", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"x","attachments":[]}`, false},
		{"empty text", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"","attachments":[{"contentUrl":"data:,x"}]}`, false},
		{"empty tag", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"x","tag":""}`, false},
		{"empty name", domain.EventChatMessage, `{"id":"5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90","conversationId":"c","type":"ChatMessage","from":{"id":"a","name":""},"text":"x","timestamp":"2026-03-01T09:00:00.000Z"}`, false},
		{"empty attachment field", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","attachments":[{"contentUrl":"data:,x","name":""}]}`, false},
		{"empty refId", domain.EventActivityMessage, `{` + base + `,"type":"ActivityMessage","activityType":"typing","refId":""}`, false},
		{"empty info", domain.EventActivityMessage, `{` + base + `,"type":"ActivityMessage","activityType":"handOff","info":{}}`, true},
		{"null in info", domain.EventActivityMessage, `{` + base + `,"type":"ActivityMessage","activityType":"handOff","info":{"a":null}}`, true},
		{"empty array in info", domain.EventActivityMessage, `{` + base + `,"type":"ActivityMessage","activityType":"handOff","info":{"a":[]}}`, false},
		{"quotes ending a text", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"say \"\""}`, true},
		{"quotes ending a name", domain.EventChatMessage, `{"id":"5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90","conversationId":"c","type":"ChatMessage","from":{"id":"a","name":"\"A\""},"text":"\\\"","timestamp":"2026-03-01T09:00:00.000Z"}`, true},
		{"backslash ending a text, then an empty tag", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"a\\","tag":""}`, false},
		{"brackets in a text", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"[ ]"}`, false},
		{"white space", domain.EventChatMessage, "{ \n\t" + strings.ReplaceAll(base, ",", " ,\r\n ") + ` , "type" : "ChatMessage" , "text" : "x" , "to" : [ { "id" : "b" } ] }`, true},
		{"escapes", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"\u0041\u00e9\ud83d\ude00 \/ \u003c\u003e\u0026 <>& \u2028"}`, true},
		{"other key order", domain.EventChatMessage, `{"text":"x","timestamp":"2026-03-01T09:00:00.000Z","type":"ChatMessage","from":{"role":"bot","id":"b","name":"B"},"conversationId":"c","id":"5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90"}`, true},
		{"trailing white space", domain.EventChatMessage, `{` + base + `,"type":"ChatMessage","text":"x"}` + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := recorded(t, reg, tc.typ, 7, []byte(tc.data))
			if got := spliceable(rec.Data); got != tc.spliced {
				t.Errorf("spliceable = %v, want %v", got, tc.spliced)
			}
			sameFrame(t, rec, false)
		})
	}
}

// FuzzStoredMessageFrame builds messages from arbitrary field values,
// stored as Parley writes them or as a writer that keeps empty fields
// would, optionally indented, and checks that every one the schema accepts
// gives the frame that decoding and encoding gives.
func FuzzStoredMessageFrame(f *testing.F) {
	f.Add("hello", "Grace", "", "agent", "", "", "", false, false, false, uint64(3))
	f.Add("", "", "b", "customer", "whisper", "data:,x", `{"a":[1,{"b":null}],"c":""}`, true, true, true, uint64(1<<40))
	f.Add(" \" \\ <>&\u2028 😀", "\xff", "", "bot", "", "https://x/?a=1&b=2", `{}`, false, true, false, uint64(0))
	f.Add(`say "hi"`, `\"`, `"`, "supervisor", "whisper", "", `{"a":"\"","b":[]}`, false, false, true, uint64(12))
	reg := eventschemas.MustLoad()
	f.Fuzz(func(t *testing.T, text, name, to, role, tag, url, info string, keepEmpty, indent, activity bool, seq uint64) {
		doc := map[string]any{"id": "5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90", "conversationId": "c", "timestamp": "2026-03-01T09:00:00.000Z"}
		from := map[string]any{"id": "a"}
		put := func(m map[string]any, k string, v any) {
			if s, ok := v.(string); ok && s == "" && !keepEmpty {
				return
			}
			if s, ok := v.([]any); ok && len(s) == 0 && !keepEmpty {
				return
			}
			m[k] = v
		}
		put(from, "name", name)
		put(from, "role", role)
		doc["from"] = from
		put(doc, "text", text)
		put(doc, "tag", tag)
		recipients := []any{}
		if to != "" {
			recipients = append(recipients, map[string]any{"id": to})
		}
		put(doc, "to", recipients)
		attachments := []any{}
		if url != "" {
			attachments = append(attachments, map[string]any{"contentUrl": url})
		}
		put(doc, "attachments", attachments)
		if info != "" {
			doc["info"] = json.RawMessage(info)
		}
		typ := domain.EventChatMessage
		if activity {
			typ = domain.EventActivityMessage
			doc["activityType"] = domain.ActivityHandOff
		}
		doc["type"] = typ
		data, err := json.Marshal(doc)
		if err != nil {
			return // info is not JSON
		}
		if indent {
			var b bytes.Buffer
			if err := json.Indent(&b, data, "", " \t"); err != nil {
				t.Fatal(err)
			}
			data = bytes.TrimSpace(b.Bytes())
		}
		if reg.Validate(typ, domain.SchemaVersions[typ], data) != nil {
			return
		}
		sameFrame(t, domain.RecordedEvent{Type: typ, Revision: domain.Revision(seq), Data: data,
			Metadata: domain.Metadata{SchemaVersion: domain.SchemaVersions[typ]}}, false)
	})
}

// BenchmarkMessageFrame compares the messageArrived frame of a stored chat
// message spliced from its stored data with decoding and encoding it.
func BenchmarkMessageFrame(b *testing.B) {
	var rec domain.RecordedEvent
	for i, d := range decided(b) {
		if d.Type == domain.EventChatMessage {
			rec = domain.RecordedEvent{Type: d.Type, Revision: domain.Revision(i), Data: d.Data, Metadata: d.Metadata}
			break
		}
	}
	e, err := domain.DecodeEvent(rec)
	if err != nil {
		b.Fatal(err)
	}
	msg := e.(domain.Message)
	b.Run("spliced", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			storedMessageFrame(rec.Data, uint64(rec.Revision), msg)
		}
	})
	b.Run("decoded and encoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e, _ := domain.DecodeEvent(rec)
			encodeFrame(EventMessageArrived, nil, e)
		}
	})
	// The ack of sendMessage: from the stored data, or encoding the
	// message the command service returned.
	ack := json.RawMessage(`"m-42"`)
	b.Run("ack spliced", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			storedAckFrame(ack, rec.Data, uint64(rec.Revision), msg)
		}
	})
	b.Run("ack encoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeFrame(EventAck, ack, msg)
		}
	})
}
