package eventschemas_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// TestUpcast lifts a real event of each old version, stored as a fixture in
// testdata/<EventType>-v<N>.json, to the latest version, and checks the
// result against the latest schema and the domain's decoder.
func TestUpcast(t *testing.T) {
	tests := map[string]struct {
		eventType string
		version   int
		fixture   string
		want      domain.Event
	}{
		"ConversationStarted v1": {
			eventType: domain.EventConversationStarted,
			version:   1,
			fixture:   "ConversationStarted-v1.json",
			want: domain.ConversationStarted{
				ConversationID:  convID,
				Channel:         "web",
				Language:        "en",
				Subject:         "billing",
				URL:             "https://shop.example.com/orders/1042",
				Comment:         "Question about invoice 1042",
				RequestID:       "0e8b5c3a-7f21-4d6e-b9a4-61c2d8f3e5b7",
				ClientTimestamp: "2024-03-11T09:14:02+01:00",
				Timestamp:       "2024-03-11T08:14:02.517Z",
				Customer: domain.Customer{
					ParticipantID: customerID,
					Personal: domain.PersonalData{
						FirstName: "Maria",
						LastName:  "Jansen",
						Email:     "maria.jansen@example.com",
						Phone:     "+31 20 555 0142",
						RefID:     "+31205550142",
					},
				},
			},
		},
		"ConversationStarted v2": {
			eventType: domain.EventConversationStarted,
			version:   2,
			fixture:   "ConversationStarted-v2.json",
			want: domain.ConversationStarted{
				ConversationID:  convID,
				Channel:         "sms",
				Language:        "de",
				RequestID:       "1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5",
				ClientTimestamp: "2026-11-23T10:00:00Z",
				Timestamp:       "2026-11-23T10:00:00.125Z",
				Customer: domain.Customer{
					ParticipantID: customerID,
					Personal:      domain.PersonalData{FirstName: "Jonas", Phone: "+49 30 5550 1234", RefID: "+49 30 5550 1234"},
				},
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			old := fixture(t, tt.fixture)
			if err := reg.Validate(tt.eventType, tt.version, old); err != nil {
				t.Fatalf("the fixture is not a valid v%d event: %v", tt.version, err)
			}
			data, version, err := reg.Upcast(tt.eventType, tt.version, old)
			if err != nil {
				t.Fatal(err)
			}
			if latest := domain.SchemaVersions[tt.eventType]; version != latest {
				t.Fatalf("upcast to version %d, want the domain's %d", version, latest)
			}
			if err := reg.Validate(tt.eventType, version, data); err != nil {
				t.Fatalf("upcast data fails v%d: %v\n%s", version, err, data)
			}
			got, err := domain.DecodeEvent(domain.RecordedEvent{Type: tt.eventType, Data: data, Metadata: domain.Metadata{SchemaVersion: version}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, tt.want)
			}
			if !bytes.Equal(old, fixture(t, tt.fixture)) {
				t.Error("upcasting changed its input")
			}
		})
	}
}

func TestUpcast_LatestIsUnchanged(t *testing.T) {
	e := firstOf(t, domain.EventConversationStarted, "")
	data, version, err := reg.Upcast(e.Type, e.Metadata.SchemaVersion, e.Data)
	if err != nil || version != e.Metadata.SchemaVersion || &data[0] != &e.Data[0] {
		t.Fatalf("got version %d, err %v; want the same data at version %d", version, err, e.Metadata.SchemaVersion)
	}
}

func TestUpcast_UnknownTypeOrVersion(t *testing.T) {
	data := fixture(t, "ConversationStarted-v1.json")
	for name, tt := range map[string]struct {
		eventType string
		version   int
	}{
		"type without schema": {"OrderPlaced", 1},
		"version 0":           {domain.EventConversationStarted, 0},
		"future version":      {domain.EventConversationStarted, 5},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := reg.Upcast(tt.eventType, tt.version, data); domain.ErrorCode(err) != domain.CodeSchema {
				t.Fatalf("got %v, want a %s error", err, domain.CodeSchema)
			}
		})
	}
}

func TestUpcast_ChecksTheResult(t *testing.T) {
	// Valid for neither version, this input shows that Upcast validates what
	// an upcaster produces instead of passing its mistakes on.
	_, _, err := reg.Upcast(domain.EventConversationStarted, 1, []byte(`{"conversationId":"c","participantId":"p","channel":"web","timestamp":"2024-03-11T08:14:02.517Z"}`))
	if domain.ErrorCode(err) != domain.CodeSchema || !strings.Contains(err.Error(), "customer.personal") {
		t.Fatalf("got %v, want a schema error about customer.personal", err)
	}
	if _, _, err := reg.Upcast(domain.EventConversationStarted, 1, []byte(`null`)); domain.ErrorCode(err) != domain.CodeSchema {
		t.Fatalf("got %v, want a schema error for data that is no object", err)
	}
}
