package eventschemas_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas"
)

// reg is shared by the tests: a Registry is immutable once loaded.
var reg = eventschemas.MustLoad()

var testNow = time.Date(2024, 3, 11, 8, 14, 2, 517_000_000, time.UTC)

const (
	convID     = "5f0c2a51-8d7e-4c1b-9a3e-2b7d9c4e6f10"
	customerID = "c7a4e2d9-3b1f-4e8a-a6c5-9d2f0b7e1a34"
	agentID    = "agent-7"
	// richID is the id of the domain's ChatMessage with every field: a
	// whisper with recipients, attachments and info.
	richID = "9b2f6d1e-4a3c-4e7b-8d5f-0c1a2b3d4e5f"
)

// newIDs returns a generator of distinct, valid UUIDs.
func newIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

// domainEvents runs a whole conversation through the domain's deciders and
// returns every event it produced, encoded as the service encodes them, so
// the schemas are tested against what the domain really writes.
func domainEvents(tb testing.TB) []domain.EventData {
	tb.Helper()
	env := domain.Env{Now: testNow, NewID: newIDs(), Limits: domain.DefaultLimits}
	c := domain.NewConversation(convID)
	var out []domain.EventData
	run := func(cmd domain.Command) {
		tb.Helper()
		events, err := domain.Decide(c, cmd, env)
		if err != nil {
			tb.Fatalf("decide %T: %v", cmd, err)
		}
		for _, e := range events {
			id := env.NewID()
			if m, ok := e.(domain.Message); ok {
				id = m.ID
			}
			d, err := domain.EncodeEvent(id, e, domain.Metadata{CorrelationID: "req-1"})
			if err != nil {
				tb.Fatal(err)
			}
			c.Apply(domain.Revision(len(out)), e)
			out = append(out, d)
		}
	}
	customer := domain.Participant{ID: customerID}
	agent := domain.Participant{ID: agentID, Name: "Ann", Role: domain.RoleAgent}
	run(domain.StartConversation{
		ConversationID:  convID,
		CustomerID:      customerID,
		Channel:         "web",
		Language:        "en",
		Subject:         "billing",
		URL:             "https://shop.example.com/orders/1042",
		Comment:         "Question about invoice 1042",
		RequestID:       "0e8b5c3a-7f21-4d6e-b9a4-61c2d8f3e5b7",
		ClientTimestamp: "2024-03-11T09:14:02+01:00",
		Personal:        domain.PersonalData{FirstName: "Maria", LastName: "Jansen", Email: "Maria Jansen <maria.jansen@example.com>", Phone: "+31 20 555 0142", RefID: "+31205550142"},
	})
	run(domain.JoinConversation{Participant: customer})
	run(domain.JoinConversation{Participant: agent})
	run(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: customer, Text: "Hello, my invoice is wrong."}})
	run(domain.PostMessage{Message: domain.Message{
		ID:   richID,
		Type: domain.TypeChatMessage, From: agent, To: []domain.Participant{{ID: agentID}},
		Tag: domain.TagWhisper, RefID: "+31205550142",
		Attachments: []domain.Attachment{{Type: "image/png", Name: "invoice.png", ContentURL: "https://files.example.com/invoice.png", ThumbnailURL: "data:image/png;base64,iVBORw0KGgo="}},
		Info:        json.RawMessage(`{"ticket":{"id":1042,"big":1e400}}`),
	}})
	run(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: agent, Attachments: []domain.Attachment{{ContentURL: "FILE:///srv/share/terms.pdf"}}}})
	run(domain.PostMessage{Message: domain.Message{Type: domain.TypeActivityMessage, From: customer, ActivityType: domain.ActivityTyping}})
	run(domain.PostMessage{Message: domain.Message{Type: domain.TypeActivityMessage, From: agent, ActivityType: domain.ActivityHandOff, Info: json.RawMessage(`{"queue":"billing"}`)}})
	run(domain.LeaveConversation{Participant: customer})
	run(domain.EndConversation{By: agent})
	out = append(out, connectorEvents(tb)...)
	out = append(out, webhookEvents(tb)...)
	out = append(out, personalDataEvents(tb, out)...)
	return append(out, transcriptEmailEvents(tb)...)
}

// firstOf returns the first domain event of eventType (and activityType for
// an ActivityMessage, when given).
func firstOf(tb testing.TB, eventType, activityType string) domain.EventData {
	tb.Helper()
	for _, e := range domainEvents(tb) {
		if e.Type != eventType {
			continue
		}
		if activityType != "" {
			var m domain.Message
			if err := json.Unmarshal(e.Data, &m); err != nil || m.ActivityType != activityType {
				continue
			}
		}
		return e
	}
	tb.Fatalf("the domain wrote no %s %s", eventType, activityType)
	return domain.EventData{}
}

// withID returns the domain event with the given id.
func withID(tb testing.TB, id string) domain.EventData {
	tb.Helper()
	for _, e := range domainEvents(tb) {
		if e.ID == id {
			return e
		}
	}
	tb.Fatalf("the domain wrote no event %s", id)
	return domain.EventData{}
}

// fixture reads testdata/name.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
