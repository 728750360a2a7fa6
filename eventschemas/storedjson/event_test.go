package storedjson

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// TestEncodeEventMatchesDomain: given any message, when encoded by both,
// then the EventData is the same, byte for byte; other events go to domain.
func TestEncodeEventMatchesDomain(t *testing.T) {
	events := []domain.Event{domain.ConversationStarted{ConversationID: "c", Channel: "web"}}
	for _, m := range appendCases() {
		events = append(events, m)
	}
	for _, e := range events {
		got, gerr := EncodeEvent("id", e, domain.Metadata{CorrelationID: "r"})
		want, werr := domain.EncodeEvent("id", e, domain.Metadata{CorrelationID: "r"})
		if (gerr != nil) != (werr != nil) || !bytes.Equal(got.Data, want.Data) || got.Metadata != want.Metadata || got.Type != want.Type || got.ID != want.ID {
			t.Errorf("%#v:\nstoredjson %s %+v (%v)\ndomain     %s %+v (%v)", e, got.Data, got.Metadata, gerr, want.Data, want.Metadata, werr)
		}
	}
}

// TestDecodeEventMatchesDomain: given stored message data in every corner,
// when decoded by both, then the events (or the failures) are the same.
func TestDecodeEventMatchesDomain(t *testing.T) {
	for _, data := range storedMessages {
		for _, version := range []int{0, domain.SchemaVersions[domain.EventChatMessage], 99} {
			rec := domain.RecordedEvent{ID: "e", Type: domain.EventChatMessage, Revision: 7, Data: []byte(data), Metadata: domain.Metadata{SchemaVersion: version}}
			got, gerr := DecodeEvent(rec)
			want, werr := domain.DecodeEvent(rec)
			if (gerr != nil) != (werr != nil) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s v%d:\nstoredjson %#v (%v)\ndomain     %#v (%v)", data, version, got, gerr, want, werr)
			}
		}
	}
}

// BenchmarkEncodeEvent compares the fast path with domain's encoding/json
// for a chat message as the service appends it.
func BenchmarkEncodeEvent(b *testing.B) {
	m := domain.Message{ID: "00000000-0000-4000-8000-000000000010", ConversationID: "5f0c2a51-8d7e-4c1b-9a3e-2b7d9c4e6f10", Type: domain.TypeChatMessage,
		From: domain.Participant{ID: "c7a4e2d9", Name: "Maria Jansen", Role: domain.RoleCustomer}, Text: "Hello, my invoice is wrong.", Timestamp: "2024-03-11T08:14:02.517Z"}
	for name, encode := range map[string]func(string, domain.Event, domain.Metadata) (domain.EventData, error){"storedjson": EncodeEvent, "domain": domain.EncodeEvent} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encode("id", m, domain.Metadata{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
