package projections_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/eventschemas"
	"github.com/parley-chat/parley/projections"
)

// openStore opens a real, schema-checked embedded store in a temporary
// directory, closed when the test ends.
func openStore(t *testing.T) domain.EventStore {
	t.Helper()
	inner, err := diskstore.Open(t.TempDir(), diskstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := eventschemas.Checked(inner, eventschemas.MustLoad())
	t.Cleanup(func() { store.Close() })
	return store
}

// chat drives conversations through the domain's command service.
type chat struct {
	t   *testing.T
	svc *conversations.Service
	id  string
	cus domain.Participant
}

var (
	agent = domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}
	sup   = domain.Participant{ID: "sup-1", Name: "Sam", Role: domain.RoleSupervisor}
)

func newService(t *testing.T, store domain.EventStore) *conversations.Service {
	t.Helper()
	svc, err := conversations.New(conversations.Config{Store: store, Now: time.Now, NewID: uuid.NewString})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// startChat starts a conversation, with the customer and an agent joined.
func startChat(t *testing.T, svc *conversations.Service, email string) *chat {
	t.Helper()
	started, err := svc.Start(t.Context(), domain.StartConversation{
		Channel: "web", Language: "fr",
		Personal: domain.PersonalData{FirstName: "Zoé", LastName: "Dupré", Email: email, Phone: "+33 1 23 45 67 89"},
	}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	c := &chat{t: t, svc: svc, id: started.ConversationID, cus: domain.Participant{ID: started.Customer.ParticipantID}}
	c.do(domain.JoinConversation{Participant: c.cus})
	c.do(domain.JoinConversation{Participant: agent})
	return c
}

func (c *chat) do(cmd domain.Command) {
	c.t.Helper()
	if _, err := c.svc.Execute(c.t.Context(), c.id, cmd, domain.Metadata{}); err != nil {
		c.t.Fatalf("%T: %v", cmd, err)
	}
}

func (c *chat) say(from domain.Participant, text string) {
	c.t.Helper()
	c.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: from, Text: text}})
}

func (c *chat) end() {
	c.t.Helper()
	c.do(domain.EndConversation{By: agent})
}

// eventually fails the test unless cond holds within 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// everything selects every message of a conversation, as staff see them.
var everything = projections.Query{Since: -1, Before: -1, Limit: 10000}
