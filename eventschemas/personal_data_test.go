package eventschemas_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// sealedValue is a value in the sealed form of ADR 41, of the size a
// plain value of n bytes seals to (its bytes need not open: the schemas
// check the form only).
func sealedValue(n int) string {
	return "enc:" + base64.RawURLEncoding.EncodeToString(make([]byte, 12+n+16))
}

// personalDataEvents returns the events that erasure adds: the domain's
// ConversationStarted and the customer's messages of events with their
// personal values sealed, as the personal data store writes them, and a
// PersonalDataErased.
func personalDataEvents(tb testing.TB, plain []domain.EventData) []domain.EventData {
	tb.Helper()
	const customerKey = "0123456789abcdef0123456789abcdef"
	var out []domain.EventData
	for _, e := range plain {
		switch e.Type {
		case domain.EventConversationStarted:
			var s domain.ConversationStarted
			if err := json.Unmarshal(e.Data, &s); err != nil {
				tb.Fatal(err)
			}
			s.Customer.CustomerID = customerKey
			p := &s.Customer.Personal
			for _, v := range []*string{&p.FirstName, &p.LastName, &p.Email, &p.Phone, &p.RefID, &s.URL, &s.Comment} {
				*v = sealedValue(len(*v))
			}
			out = append(out, sealedEvent(tb, e, s))
		case domain.EventChatMessage, domain.EventActivityMessage:
			var m domain.Message
			if err := json.Unmarshal(e.Data, &m); err != nil {
				tb.Fatal(err)
			}
			if m.From.ID != customerID && !strings.Contains(string(e.Data), customerID) {
				continue
			}
			m.From.Name = sealedValue(len(m.From.Name))
			if m.Text != "" {
				m.Text = sealedValue(len(m.Text))
			}
			for i := range m.Attachments {
				m.Attachments[i].ContentURL = sealedValue(100)
			}
			out = append(out, sealedEvent(tb, e, m))
		}
	}
	erased, err := domain.EncodeEvent("00000000-0000-4000-a000-0000000000e1", domain.PersonalDataErased{
		ConversationID: convID, CustomerID: customerKey, Timestamp: domain.FormatTime(testNow),
	}, domain.Metadata{CorrelationID: "req-9"})
	if err != nil {
		tb.Fatal(err)
	}
	return append(out, erased)
}

func sealedEvent(tb testing.TB, e domain.EventData, v any) domain.EventData {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	e.Data = data
	e.Metadata.KeyID = "0123456789abcdef0123456789abcdef"
	return e
}

// Given a sealed value too long for its field, the schema refuses it; a
// value over the plain cap passes only in the sealed form.
func TestSealedValuesAreBounded(t *testing.T) {
	start := firstOf(t, domain.EventConversationStarted, "")
	for name, tt := range map[string]struct {
		value string
		ok    bool
	}{
		"a sealed name":                      {sealedValue(200), true},
		"a sealed name over its cap":         {sealedValue(4000), false},
		"a long name that only looks sealed": {"enc:" + strings.Repeat("!", 300), false},
	} {
		t.Run(name, func(t *testing.T) {
			data := mutate(t, start.Data, func(m map[string]any) {
				m["customer"].(map[string]any)["personal"].(map[string]any)["firstName"] = tt.value
			})
			err := reg.Validate(start.Type, start.Metadata.SchemaVersion, data)
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
