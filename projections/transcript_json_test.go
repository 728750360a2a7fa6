package projections_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// renderCases are transcripts with every shape RenderJSON must get right:
// omitted and empty fields, empty and nil lists, attachments with some
// fields, and strings that encoding/json escapes.
func renderCases() []*projections.Transcript {
	cus := projections.TranscriptParticipant{ID: "c-1", Name: "Zoé <Dupré> & \"co\"", Role: domain.RoleCustomer}
	agent := projections.TranscriptParticipant{ID: "a-1", Name: "שלום مرحبا", Role: domain.RoleAgent}
	full := &projections.Transcript{
		Format: projections.TranscriptFormat, ConversationID: "conv-1", Channel: "web", Language: "fr", Subject: "Colis\tabîmé\n",
		Customer: cus, StartedAt: "2026-01-01T00:00:00Z", EndedAt: "2026-01-01T00:10:00.5Z",
		Participants: []projections.TranscriptParticipant{cus, agent, {ID: "x"}},
		Entries: []projections.TranscriptEntry{
			{Sequence: 9, Time: "t0", Type: "Odd", From: agent, Text: "every field", ActivityType: "odd", Attachments: []domain.Attachment{
				{Type: "text/plain", Name: "n.txt", ContentURL: "https://x/n", ThumbnailURL: "https://x/n.png"}}},
			{Sequence: 1, Time: "t1", Type: domain.TypeActivityMessage, From: cus, ActivityType: domain.ActivityParticipantJoined},
			{Sequence: 2, Time: "t2", Type: domain.TypeChatMessage, From: cus, Text: "bad \xff utf-8, line\u2028sep, \\ \x01 🎉"},
			{Sequence: 3, Time: "t3", Type: domain.TypeChatMessage, From: agent, Text: "files", Attachments: []domain.Attachment{
				{Type: "image/png", Name: "a.png", ContentURL: "https://x/a?b=1&c=2", ThumbnailURL: "https://x/t"}, {Name: "only a name"}, {}}},
			{Sequence: 4, Time: "t4", Type: domain.TypeChatMessage, From: agent, Attachments: []domain.Attachment{}},
		},
		EndSequence: 1<<64 - 1,
	}
	return []*projections.Transcript{
		full,
		{Format: 1, Participants: []projections.TranscriptParticipant{}, Entries: []projections.TranscriptEntry{}},
		{}, // nil lists, as a transcript decoded from a file without them
		{Format: -3, Entries: []projections.TranscriptEntry{{}}},
	}
}

func TestRenderJSONMatchesEncodingJSON(t *testing.T) {
	cases := renderCases()
	// A field added to the model and not to RenderJSON must fail here: the
	// first case sets every field, in every nested struct.
	requireAllSet(t, "Transcript", reflect.ValueOf(*cases[0]))
	for _, tr := range cases {
		checkRenderJSON(t, tr)
	}
}

func requireAllSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	if v.IsZero() {
		t.Fatalf("%s is not set in the first render case", path)
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			requireAllSet(t, path+"."+v.Type().Field(i).Name, v.Field(i))
		}
	case reflect.Slice:
		requireAllSet(t, path+"[0]", v.Index(0))
	}
}

// FuzzRenderJSON builds transcripts of fuzzed strings and numbers, with
// the shape taken from the bits of shape.
func FuzzRenderJSON(f *testing.F) {
	f.Add("conv", "Zoé", "hello <b>", "image/png", uint64(3), uint8(0xff))
	f.Add("", "", "", "", uint64(0), uint8(0))
	f.Add("\xff", "\u2028", "\"\\\x00", "&", uint64(1<<63), uint8(0x55))
	f.Fuzz(func(t *testing.T, id, name, text, kind string, seq uint64, shape uint8) {
		p := projections.TranscriptParticipant{ID: id, Name: name, Role: domain.Role(kind)}
		tr := &projections.Transcript{Format: int(seq), ConversationID: id, Channel: kind, Customer: p, StartedAt: text, EndedAt: name, EndSequence: seq}
		if shape&1 != 0 {
			tr.Language, tr.Subject = name, text
		}
		if shape&2 != 0 {
			tr.Participants = []projections.TranscriptParticipant{p, {}}
		}
		if shape&4 != 0 {
			tr.Entries = []projections.TranscriptEntry{}
		}
		for i := range int(shape >> 5) {
			e := projections.TranscriptEntry{Sequence: seq + uint64(i), Time: text, Type: kind, From: p}
			if shape&8 != 0 {
				e.Text, e.ActivityType = text, name
			}
			if shape&16 != 0 {
				e.Attachments = []domain.Attachment{{Type: kind, Name: name, ContentURL: text}, {ThumbnailURL: id}}
			}
			tr.Entries = append(tr.Entries, e)
		}
		checkRenderJSON(t, tr)
	})
}

func checkRenderJSON(t *testing.T, tr *projections.Transcript) {
	t.Helper()
	want, err := json.MarshalIndent(tr.Printable(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if got := projections.RenderJSON(tr); string(got) != string(want) {
		t.Fatalf("RenderJSON =\n%s\nwant (encoding/json)\n%s", got, want)
	}
}
