package eventschemas_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-chat/parley/domain"
)

// writtenEvents is every kind of event Parley writes, as it writes them.
func writtenEvents(tb testing.TB) []domain.EventData {
	tb.Helper()
	out := slices.Concat(domainEvents(tb), connectorEvents(tb), transcriptEmailEvents(tb))
	out = append(out, domain.EventData{Type: domain.EventConversationStarted, Data: fixture(tb, "ConversationStarted-v1.json"),
		Metadata: domain.Metadata{SchemaVersion: 1}})
	return out
}

func TestEverySchemaCompiles(t *testing.T) {
	for _, err := range reg.FastPathErrors() {
		t.Error(err)
	}
	for _, eventType := range reg.EventTypes() {
		for v := 1; v <= reg.Latest(eventType); v++ {
			if _, ok := reg.FastAccepts(eventType, v, []byte(`{}`)); !ok {
				t.Errorf("%s v%d has no fast path", eventType, v)
			}
		}
	}
}

// The fast path is only worth having if it accepts what Parley writes; a
// refusal there would send every read to the slow reference validator.
func TestCompiledAcceptsWhatParleyWrites(t *testing.T) {
	for _, e := range writtenEvents(t) {
		if ok, _ := reg.FastAccepts(e.Type, e.Metadata.SchemaVersion, e.Data); !ok {
			t.Errorf("fast path refuses %s v%d as written:\n%s", e.Type, e.Metadata.SchemaVersion, e.Data)
		}
	}
}

// oddValues replace each value of a valid event in TestCompiledIsSound:
// the shapes and corners where a hand-written check could drift from the
// reference validator.
var oddValues = []any{
	"", " ", "\t\n", "x", strings.Repeat("x", 100), strings.Repeat("x", 101), strings.Repeat("x", 200), strings.Repeat("x", 201),
	strings.Repeat("é", 200), strings.Repeat("é", 201), strings.Repeat("😀", 200), strings.Repeat("😀", 201),
	json.Number("0"), json.Number("-1"), json.Number("1"), json.Number("1000"), json.Number("1001"), json.Number("1.0"),
	json.Number("1e2"), json.Number("1.5"), json.Number("-0"), json.Number("123456789012345678901234567890"),
	true, false, nil, []any{}, []any{"x"}, []any{map[string]any{}}, []any{map[string]any{"id": "a"}},
	map[string]any{}, map[string]any{"id": "a"}, map[string]any{"contentUrl": "https://x"},
	"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-00000000000G", "0000000000000-4000-8000-000000000001",
	"ABCDEF00-0000-4000-8000-000000000001", "00000000-0000-4000-8000-0000000000011",
	"2024-03-11T08:14:02.517Z", "2024-03-11t08:14:02z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
	"2024-04-31T00:00:00Z", "2024-12-31T23:59:60Z", "2024-12-31T22:59:60-01:00", "2024-03-11T08:14:02+24:00",
	"2024-03-11T08:14:02.Z", "2024-03-11T08:14:02+01:00", "0000-01-01T00:00:00Z", "2024-03-11T24:00:00Z", "2024-03-11 08:14:02Z",
	"https://x.example/a.png", "HtTpS://x", "data:,x", "file:/x", "javascript:alert(1)", "ftp://x",
	"customer", "agent", "admin", "whisper", "ChatMessage", "ActivityMessage", "endOfConversation", "sms", "a b", "-x", ".x",
	"a\u0000b", "\u2028", "\ufffd",
}

// TestCompiledIsSound replaces, removes and adds every member of every
// event Parley writes, and checks that the fast path never accepts what the
// reference validator refuses. It also counts where the fast path refuses
// what the reference accepts: allowed (Validate then asks the reference),
// but each one costs a slow check, so they are listed.
func TestCompiledIsSound(t *testing.T) {
	var tried, stricter int
	check := func(e domain.EventData, data []byte, what string) {
		t.Helper()
		tried++
		fast, _ := reg.FastAccepts(e.Type, e.Metadata.SchemaVersion, data)
		refErr := reg.ReferenceValid(e.Type, e.Metadata.SchemaVersion, data)
		if fast && refErr != nil {
			t.Errorf("%s v%d, %s: the fast path accepts what the reference refuses (%v):\n%s", e.Type, e.Metadata.SchemaVersion, what, refErr, data)
		}
		if !fast && refErr == nil {
			stricter++
			if testing.Verbose() {
				t.Logf("stricter: %s v%d, %s", e.Type, e.Metadata.SchemaVersion, what)
			}
		}
	}
	for _, e := range writtenEvents(t) {
		var doc any
		dec := json.NewDecoder(bytes.NewReader(e.Data))
		dec.UseNumber() // the domain's info may hold numbers no float64 can
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths(doc, "") {
			for i, v := range oddValues {
				check(e, marshal(t, replaced(doc, p, v, false)), fmt.Sprintf("%s = odd value %d", p, i))
			}
			check(e, marshal(t, replaced(doc, p, nil, true)), p+" removed")
			if m, ok := at(doc, p).(map[string]any); ok {
				for _, name := range []string{"extra", "sequence", "id", "Text"} {
					grown := map[string]any{name: "x"}
					for k, v := range m {
						grown[k] = v
					}
					check(e, marshal(t, replaced(doc, p, grown, false)), p+" with "+name)
				}
			}
		}
		// Byte-level edits: every prefix, a duplicated key, escapes,
		// white space in every legal and illegal place.
		for i := 0; i < len(e.Data); i += 7 {
			check(e, e.Data[:i], fmt.Sprintf("prefix %d", i))
		}
		data := string(e.Data)
		for _, edit := range []string{
			strings.Replace(data, `"`, ` "`, 1), strings.Replace(data, `,`, " ,\n\t", -1), strings.Replace(data, `:`, `:`+"\u00a0", 1),
			data + " ", data + "\n{}", " " + data, strings.Replace(data, `{`, `{"id":"x",`, 1), strings.Replace(data, `"id"`, `"\u0069d"`, -1),
			strings.Replace(data, `"conversationId":"`, `"conversationId":"\u00e9\ud83d\ude00\ud800`, 1),
			strings.Replace(data, `"type":"`, `"type":"\`, 1), strings.Replace(data, `}`, `,}`, 1), strings.Replace(data, `,`, `,,`, 1),
		} {
			if utf8.ValidString(edit) {
				check(e, []byte(edit), "edited bytes")
			}
		}
	}
	t.Logf("%d variants checked; the fast path refused %d that the reference accepts", tried, stricter)
	if tried == 0 {
		t.Fatal("nothing checked")
	}
}

// Validate falls back to the reference validator whenever the fast path
// refuses, so data in the corners where the fast path is stricter stays
// valid.
func TestValidate_StricterCornersStillValid(t *testing.T) {
	delivered := connectorEvents(t)[1]
	chat := firstOf(t, domain.EventChatMessage, "").Data
	for name, tc := range map[string]struct {
		eventType string
		data      []byte
	}{
		"integer written as 5.0":    {domain.EventMessageDelivered, mutate(t, delivered.Data, func(m map[string]any) { m["sequence"] = json.Number("5.0") })},
		"integer written as 5e0":    {domain.EventMessageDelivered, mutate(t, delivered.Data, func(m map[string]any) { m["sequence"] = json.Number("5e0") })},
		"leap second":               {domain.EventChatMessage, mutate(t, chat, func(m map[string]any) { m["timestamp"] = "2016-12-31T23:59:60Z" })},
		"lower-case t and z":        {domain.EventChatMessage, mutate(t, chat, func(m map[string]any) { m["timestamp"] = "2024-03-11t08:14:02.517z" })},
		"deeply nested info":        {domain.EventChatMessage, mutate(t, chat, func(m map[string]any) { m["info"] = nested(600) })},
		"escapes in a known member": {domain.EventChatMessage, []byte(strings.Replace(string(chat), `"text":"`, `"text":"\u0041`, 1))},
	} {
		t.Run(name, func(t *testing.T) {
			if err := reg.Validate(tc.eventType, 1, tc.data); err != nil {
				t.Fatalf("want valid, got %v\n%s", err, tc.data)
			}
		})
	}
}

func nested(depth int) map[string]any {
	m := map[string]any{"leaf": true}
	for range depth {
		m = map[string]any{"n": m}
	}
	return m
}

// FuzzCompiledSound holds the fast path to the reference validator on
// arbitrary bytes: whatever it accepts, the reference must accept too.
func FuzzCompiledSound(f *testing.F) {
	targets, index := schemaTargets()
	for _, e := range writtenEvents(f) {
		f.Add(index[schemaTarget{e.Type, e.Metadata.SchemaVersion}], e.Data)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		if !utf8.Valid(data) {
			return // Validate refuses it before either validator runs
		}
		tgt := targets[int(which)%len(targets)]
		fast, _ := reg.FastAccepts(tgt.eventType, tgt.version, data)
		if err := reg.ReferenceValid(tgt.eventType, tgt.version, data); fast && err != nil {
			t.Fatalf("%s v%d: the fast path accepts what the reference refuses (%v):\n%s", tgt.eventType, tgt.version, err, data)
		}
	})
}

// paths lists the JSON pointer-like paths of every value below doc.
func paths(doc any, prefix string) []string {
	var out []string
	switch v := doc.(type) {
	case map[string]any:
		for k, sub := range v {
			p := prefix + "/" + k
			out = append(out, p)
			out = append(out, paths(sub, p)...)
		}
	case []any:
		for i, sub := range v {
			p := fmt.Sprintf("%s/%d", prefix, i)
			out = append(out, p)
			out = append(out, paths(sub, p)...)
		}
	}
	return out
}

func at(doc any, path string) any {
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[seg]
		case []any:
			var i int
			fmt.Sscan(seg, &i)
			doc = v[i]
		}
	}
	return doc
}

// replaced returns a deep copy of doc with the value at path set to value,
// or removed.
func replaced(doc any, path string, value any, remove bool) any {
	seg, rest, deeper := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch v := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, sub := range v {
			out[k] = sub
		}
		switch {
		case deeper:
			out[seg] = replaced(v[seg], "/"+rest, value, remove)
		case remove:
			delete(out, seg)
		default:
			out[seg] = value
		}
		return out
	case []any:
		var i int
		fmt.Sscan(seg, &i)
		out := slices.Clone(v)
		switch {
		case deeper:
			out[i] = replaced(v[i], "/"+rest, value, remove)
		case remove:
			out = slices.Delete(out, i, i+1)
		default:
			out[i] = value
		}
		return out
	}
	return doc
}

func marshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
