package eventschemas_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas"
)

func TestValidate_DomainEvents(t *testing.T) {
	seen := map[string]bool{}
	for i, e := range domainEvents(t) {
		seen[e.Type] = true
		if err := reg.Validate(e.Type, e.Metadata.SchemaVersion, e.Data); err != nil {
			t.Errorf("event %d %s: %v\n%s", i, e.Type, err, e.Data)
		}
	}
	for eventType := range domain.SchemaVersions {
		if !seen[eventType] {
			t.Errorf("the domain events of this test include no %s", eventType)
		}
	}
}

// mutate decodes data, lets change edit it, and encodes it again.
func mutate(tb testing.TB, data []byte, change func(m map[string]any)) []byte {
	tb.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // the domain's info may hold numbers no float64 can
	if err := dec.Decode(&m); err != nil {
		tb.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func obj(v any) map[string]any { return v.(map[string]any) }

func TestValidate(t *testing.T) {
	chat := firstOf(t, domain.EventChatMessage, "").Data
	rich := withID(t, richID).Data
	activity := firstOf(t, domain.EventActivityMessage, domain.ActivityHandOff).Data
	started := firstOf(t, domain.EventConversationStarted, "").Data
	startedV1 := fixture(t, "ConversationStarted-v1.json")

	type tc struct {
		eventType string
		version   int
		data      []byte
		field     string // "" with ok false: the event as a whole
		ok        bool
	}
	valid := func(eventType string, version int, data []byte) tc {
		return tc{eventType: eventType, version: version, data: data, ok: true}
	}
	invalid := func(eventType string, version int, data []byte, field string) tc {
		return tc{eventType: eventType, version: version, data: data, field: field}
	}
	const cm, am, cs = domain.EventChatMessage, domain.EventActivityMessage, domain.EventConversationStarted
	tests := map[string]tc{
		"chat: as the domain writes it":     valid(cm, 1, chat),
		"chat: with everything":             valid(cm, 1, rich),
		"chat: empty tag and recipients":    valid(cm, 1, mutate(t, chat, func(m map[string]any) { m["tag"], m["to"] = "", []any{} })),
		"chat: attachments only":            valid(cm, 1, mutate(t, rich, func(m map[string]any) { delete(m, "text") })),
		"chat: text at the cap":             valid(cm, 1, mutate(t, chat, func(m map[string]any) { m["text"] = strings.Repeat("é", 100000) })),
		"chat: id missing":                  invalid(cm, 1, mutate(t, chat, func(m map[string]any) { delete(m, "id") }), "id"),
		"chat: id not a UUID":               invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["id"] = "42" }), "id"),
		"chat: conversationId empty":        invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["conversationId"] = "" }), "conversationId"),
		"chat: conversationId missing":      invalid(cm, 1, mutate(t, chat, func(m map[string]any) { delete(m, "conversationId") }), "conversationId"),
		"chat: type of the other event":     invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["type"] = "ActivityMessage" }), "type"),
		"chat: from missing":                invalid(cm, 1, mutate(t, chat, func(m map[string]any) { delete(m, "from") }), "from"),
		"chat: from.id missing":             invalid(cm, 1, mutate(t, chat, func(m map[string]any) { delete(obj(m["from"]), "id") }), "from.id"),
		"chat: from.id too long":            invalid(cm, 1, mutate(t, chat, func(m map[string]any) { obj(m["from"])["id"] = strings.Repeat("x", 201) }), "from.id"),
		"chat: from.role unknown":           invalid(cm, 1, mutate(t, chat, func(m map[string]any) { obj(m["from"])["role"] = "admin" }), "from.role"),
		"chat: from with an unknown field":  invalid(cm, 1, mutate(t, chat, func(m map[string]any) { obj(m["from"])["email"] = "a@b.c" }), "from.email"),
		"chat: to not an array":             invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["to"] = map[string]any{"id": "x"} }), "to"),
		"chat: to[1].id missing":            invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["to"] = []any{map[string]any{"id": "a"}, map[string]any{"name": "b"}} }), "to[1].id"),
		"chat: text not a string":           invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["text"] = 7 }), "text"),
		"chat: text over the cap":           invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["text"] = strings.Repeat("a", 100001) }), "text"),
		"chat: blank text":                  invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["text"] = " \n\t" }), "text"),
		"chat: neither text nor attachment": invalid(cm, 1, mutate(t, chat, func(m map[string]any) { delete(m, "text") }), "text"),
		"chat: tag unknown":                 invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["tag"] = "secret" }), "tag"),
		"chat: attachment not an object":    invalid(cm, 1, mutate(t, rich, func(m map[string]any) { m["attachments"] = []any{"https://x.example/a.png"} }), "attachments[0]"),
		"chat: attachment without URL":      invalid(cm, 1, mutate(t, rich, func(m map[string]any) { delete(obj(m["attachments"].([]any)[0]), "contentUrl") }), "attachments[0].contentUrl"),
		"chat: attachment name a number":    invalid(cm, 1, mutate(t, rich, func(m map[string]any) { obj(m["attachments"].([]any)[0])["name"] = 3 }), "attachments[0].name"),
		"chat: attachment javascript URL":   invalid(cm, 1, mutate(t, rich, func(m map[string]any) { obj(m["attachments"].([]any)[0])["thumbnailUrl"] = "javascript:alert(1)" }), "attachments[0].thumbnailUrl"),
		"chat: info not an object":          invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["info"] = []any{1} }), "info"),
		"chat: timestamp not a date-time":   invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["timestamp"] = "yesterday" }), "timestamp"),
		"chat: timestamp missing":           invalid(cm, 1, mutate(t, chat, func(m map[string]any) { delete(m, "timestamp") }), "timestamp"),
		"chat: sequence stored":             invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["sequence"] = 3 }), "sequence"),
		"chat: unknown top-level field":     invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["priority"] = "high" }), "priority"),
		"chat: field in another case":       invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["Text"] = "shadow" }), "Text"),
		"chat: activityType":                invalid(cm, 1, mutate(t, chat, func(m map[string]any) { m["activityType"] = "typing" }), "activityType"),
		"chat: not an object":               invalid(cm, 1, []byte(`["id"]`), ""),
		"chat: null":                        invalid(cm, 1, []byte(`null`), ""),
		"chat: not JSON":                    invalid(cm, 1, []byte(`{"id":`), ""),
		"chat: trailing data":               invalid(cm, 1, append(slices.Clip(chat), []byte(` {}`)...), ""),
		"chat: not UTF-8":                   invalid(cm, 1, []byte("{\"text\":\"\xff\"}"), ""),

		"activity: as the domain writes it": valid(am, 1, activity),
		"activity: greetings with text":     valid(am, 1, firstOf(t, am, domain.ActivityGreetings).Data),
		"activity: activityType missing":    invalid(am, 1, mutate(t, activity, func(m map[string]any) { delete(m, "activityType") }), "activityType"),
		"activity: activityType unknown":    invalid(am, 1, mutate(t, activity, func(m map[string]any) { m["activityType"] = "dancing" }), "activityType"),
		"activity: info a string":           invalid(am, 1, mutate(t, activity, func(m map[string]any) { m["info"] = "{}" }), "info"),
		"activity: type const":              invalid(am, 1, mutate(t, activity, func(m map[string]any) { m["type"] = "ChatMessage" }), "type"),

		"started: as the domain writes it":   valid(cs, 2, started),
		"started: customer missing":          invalid(cs, 2, mutate(t, started, func(m map[string]any) { delete(m, "customer") }), "customer"),
		"started: personal missing":          invalid(cs, 2, mutate(t, started, func(m map[string]any) { delete(obj(m["customer"]), "personal") }), "customer.personal"),
		"started: participantId missing":     invalid(cs, 2, mutate(t, started, func(m map[string]any) { delete(obj(m["customer"]), "participantId") }), "customer.participantId"),
		"started: personal data outside":     invalid(cs, 2, mutate(t, started, func(m map[string]any) { m["firstName"] = "Maria" }), "firstName"),
		"started: unknown personal field":    invalid(cs, 2, mutate(t, started, func(m map[string]any) { obj(obj(m["customer"])["personal"])["birthDate"] = "1990-01-01" }), "customer.personal.birthDate"),
		"started: no identifier":             invalid(cs, 2, mutate(t, started, func(m map[string]any) { obj(m["customer"])["personal"] = map[string]any{"firstName": "Maria"} }), "customer.personal.refId"),
		"started: channel blank":             invalid(cs, 2, mutate(t, started, func(m map[string]any) { m["channel"] = " " }), "channel"),
		"started: timestamp not a date-time": invalid(cs, 2, mutate(t, started, func(m map[string]any) { m["timestamp"] = "2024-03-11 08:14" }), "timestamp"),
		"started v1: the historical shape":   valid(cs, 1, startedV1),
		"started v1: nested customer":        invalid(cs, 1, started, "customer"),
		"started v1: participantId missing":  invalid(cs, 1, mutate(t, startedV1, func(m map[string]any) { delete(m, "participantId") }), "participantId"),
		"started v1: email is not a number":  invalid(cs, 1, mutate(t, startedV1, func(m map[string]any) { m["email"] = 1 }), "email"),
		"started v1: empty object":           invalid(cs, 1, []byte(`{}`), "channel"),
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := reg.Validate(tt.eventType, tt.version, tt.data)
			if tt.ok {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			t.Log(err)
			if got := domain.ErrorCode(err); got != domain.CodeSchema {
				t.Fatalf("code = %q, want %q (err %v)", got, domain.CodeSchema, err)
			}
			var derr *domain.Error
			if !errors.As(err, &derr) || derr.Field != tt.field {
				t.Fatalf("field = %q, want %q (err %v)", derr.Field, tt.field, err)
			}
			if tt.field != "" && !strings.Contains(derr.Message, tt.field) {
				t.Errorf("message %q does not name the field %q", derr.Message, tt.field)
			}
		})
	}
}

func TestValidate_ErrorsDoNotQuoteValues(t *testing.T) {
	chat := firstOf(t, domain.EventChatMessage, "").Data
	secret := "maria.jansen-secret"
	data := mutate(t, chat, func(m map[string]any) {
		m["text"] = secret + strings.Repeat(" ", 100000)
		m["attachments"] = []any{map[string]any{"contentUrl": "javascript:" + secret}}
		obj(m["from"])["role"] = secret
		m["timestamp"] = secret
	})
	err := reg.Validate(domain.EventChatMessage, 1, data)
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error quotes a value: %v", err)
	}
}

func TestValidate_FirstProblemIsStable(t *testing.T) {
	chat := firstOf(t, domain.EventChatMessage, "").Data
	data := mutate(t, chat, func(m map[string]any) {
		delete(obj(m["from"]), "id")
		m["zzz"], m["aaa"] = 1, 2
		m["tag"] = "x"
	})
	for range 50 {
		err := reg.Validate(domain.EventChatMessage, 1, data)
		var derr *domain.Error
		if !errors.As(err, &derr) || derr.Field != "aaa" || !strings.Contains(derr.Message, "(and 3 more problems)") {
			t.Fatalf("got %v, want the shallowest first field aaa and 3 more problems", err)
		}
	}
}

func TestValidate_UnknownTypeOrVersion(t *testing.T) {
	chat := firstOf(t, domain.EventChatMessage, "").Data
	for name, tt := range map[string]struct {
		eventType string
		version   int
		want      string
	}{
		"type without schema": {"OrderPlaced", 1, `"OrderPlaced" has no schema`},
		"version 0":           {domain.EventChatMessage, 0, "no schema version 0"},
		"future version":      {domain.EventChatMessage, 3, "no schema version 3"},
	} {
		t.Run(name, func(t *testing.T) {
			err := reg.Validate(tt.eventType, tt.version, chat)
			if domain.ErrorCode(err) != domain.CodeSchema || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a %s error saying %q", err, domain.CodeSchema, tt.want)
			}
		})
	}
}

func TestValidate_Concurrently(t *testing.T) {
	events := domainEvents(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for _, e := range events {
					if err := reg.Validate(e.Type, e.Metadata.SchemaVersion, e.Data); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestSchemaFilesMatchDomain keeps domain.SchemaVersions and the schema
// files in step, in both directions.
func TestSchemaFilesMatchDomain(t *testing.T) {
	dirs, err := os.ReadDir("schemas")
	if err != nil {
		t.Fatal(err)
	}
	versionFile := regexp.MustCompile(`^v([1-9][0-9]*)\.json$`)
	onDisk := map[string][]int{}
	for _, d := range dirs {
		if !d.IsDir() {
			t.Errorf("schemas/%s: only event type directories belong in schemas/", d.Name())
			continue
		}
		files, err := os.ReadDir(filepath.Join("schemas", d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			m := versionFile.FindStringSubmatch(f.Name())
			if m == nil {
				t.Errorf("schemas/%s/%s: schema files are named v<N>.json", d.Name(), f.Name())
				continue
			}
			v, _ := strconv.Atoi(m[1])
			onDisk[d.Name()] = append(onDisk[d.Name()], v)
		}
	}
	for eventType, current := range allSchemaVersions() {
		vs := onDisk[eventType]
		slices.Sort(vs)
		want := make([]int, current)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(vs, want) {
			t.Errorf("%s: domain writes version %d, so schemas v1..v%d must exist; found %v", eventType, current, current, vs)
		}
		if got := reg.Latest(eventType); got != current {
			t.Errorf("%s: registry's latest version is %d, domain writes %d", eventType, got, current)
		}
	}
	for eventType := range onDisk {
		if _, ok := allSchemaVersions()[eventType]; !ok {
			t.Errorf("schemas/%s: the domain knows no event type %s", eventType, eventType)
		}
	}
	if got, want := reg.EventTypes(), slices.Sorted(maps.Keys(allSchemaVersions())); !slices.Equal(got, want) {
		t.Errorf("registry event types %v, domain's %v", got, want)
	}
}

func TestMustLoad(t *testing.T) {
	r, err := eventschemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	if r.Latest("OrderPlaced") != 0 {
		t.Error("a type without schema has a latest version")
	}
}

// BenchmarkValidate measures the check every append and read pays for one
// ChatMessage as the domain writes it.
func BenchmarkValidate(b *testing.B) {
	e := firstOf(b, domain.EventChatMessage, "")
	b.SetBytes(int64(len(e.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := reg.Validate(e.Type, e.Metadata.SchemaVersion, e.Data); err != nil {
			b.Fatal(err)
		}
	}
}
