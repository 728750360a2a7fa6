package eventschemas_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// TestConversationStartedFields: version 3 keeps up to 20 fields Parley does
// not know, each of up to 1,000 bytes.
func TestConversationStartedFields(t *testing.T) {
	fields := func(n, size int) []domain.Field {
		out := make([]domain.Field, n)
		for i := range out {
			out[i] = domain.Field{Name: fmt.Sprintf("custom%02d", i), Value: strings.Repeat("v", size)}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		given  []domain.Field
		wantOK bool
	}{
		{"none", nil, true},
		{"twenty of 1,000 bytes", fields(20, 1000), true},
		{"twenty-one", fields(21, 1), false},
		{"a value of 1,001 bytes", fields(1, 1001), false},
		{"an empty name", []domain.Field{{Name: "", Value: "x"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := domain.ConversationStarted{ConversationID: "c", Channel: "web", Timestamp: "2026-11-23T10:00:00.000Z",
				Customer: domain.Customer{ParticipantID: "p", Personal: domain.PersonalData{Email: "a@example.com"}}, Fields: tc.given}
			d, err := domain.EncodeEvent("e", e, domain.Metadata{})
			if err != nil {
				t.Fatal(err)
			}
			err = reg.Validate(domain.EventConversationStarted, 3, d.Data)
			if (err == nil) != tc.wantOK {
				t.Fatalf("validate: %v, want ok %v", err, tc.wantOK)
			}
		})
	}
}
