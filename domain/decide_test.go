package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
)

const (
	convID     = "c1"
	customerID = "11111111-1111-4111-8111-111111111111"
)

var (
	now      = time.Date(2026, 11, 23, 10, 0, 0, 123e6, time.UTC)
	customer = domain.Participant{ID: customerID, Name: "Ada Lovelace", Role: domain.RoleCustomer}
	agent    = domain.Participant{ID: "agent-1", Name: "Grace", Role: domain.RoleAgent}
	bot      = domain.Participant{ID: "bot-1", Name: "Botty", Role: domain.RoleBot}
)

// env returns a fixed clock and ids id-1, id-2, ...
func env() domain.Env {
	n := 0
	return domain.Env{Now: now, Limits: domain.DefaultLimits, NewID: func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}}
}

// given folds events into a conversation, as the store would hand them back.
func given(t *testing.T, events ...domain.Event) *domain.Conversation {
	t.Helper()
	c := domain.NewConversation(convID)
	for i, e := range events {
		data, err := domain.EncodeEvent(fmt.Sprint(i), e, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ApplyRecorded(domain.RecordedEvent{ID: data.ID, Type: data.Type, Data: data.Data, Revision: uint64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func started() domain.Event {
	return domain.ConversationStarted{ConversationID: convID, Channel: "web", Timestamp: "t",
		Customer: domain.Customer{ParticipantID: customerID, Personal: domain.PersonalData{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}}}
}

func joined(p domain.Participant) domain.Event {
	return domain.Message{ID: "j-" + p.ID, ConversationID: convID, Type: domain.TypeActivityMessage, From: p, ActivityType: domain.ActivityParticipantJoined}
}

func left(p domain.Participant) domain.Event {
	return domain.Message{ID: "l-" + p.ID, ConversationID: convID, Type: domain.TypeActivityMessage, From: p, ActivityType: domain.ActivityParticipantLeft}
}

func ended() domain.Event {
	return domain.Message{ID: "end", ConversationID: convID, Type: domain.TypeActivityMessage, From: agent, ActivityType: domain.ActivityEndOfConversation}
}

func chat(from domain.Participant, text string) domain.Message {
	return domain.Message{Type: domain.TypeChatMessage, From: domain.Participant{ID: from.ID}, Text: text}
}

func TestDecide(t *testing.T) {
	whisper := chat(agent, "psst")
	whisper.Tag = domain.TagWhisper
	customerWhisper := chat(customer, "psst")
	customerWhisper.Tag = domain.TagWhisper
	toAgent := chat(customer, "hi agent")
	toAgent.To = []domain.Participant{{ID: agent.ID}}
	toStranger := chat(customer, "hi")
	toStranger.To = []domain.Participant{{ID: "nobody"}}
	withID := chat(customer, "hi")
	withID.ID = "22222222-2222-4222-8222-222222222222"
	badID := chat(customer, "hi")
	badID.ID = "not-a-uuid"
	otherConv := chat(customer, "hi")
	otherConv.ConversationID = "c2"
	attach := chat(customer, "")
	attach.Attachments = []domain.Attachment{{Name: "a.png", Type: "image/png", ContentURL: "https://example.com/a.png"}}
	badAttach := chat(customer, "")
	badAttach.Attachments = []domain.Attachment{{Name: "a", ContentURL: "javascript:alert(1)"}}
	tooLong := chat(customer, strings.Repeat("é", domain.DefaultLimits.MaxTextLength+1))
	typing := domain.Message{Type: domain.TypeActivityMessage, From: domain.Participant{ID: customerID}, ActivityType: domain.ActivityTyping}
	forgedJoin := domain.Message{Type: domain.TypeActivityMessage, From: domain.Participant{ID: agent.ID}, ActivityType: domain.ActivityParticipantJoined}
	customerHandOff := domain.Message{Type: domain.TypeActivityMessage, From: domain.Participant{ID: customerID}, ActivityType: domain.ActivityHandOff}
	endByMessage := domain.Message{Type: domain.TypeActivityMessage, From: domain.Participant{ID: agent.ID}, ActivityType: domain.ActivityEndOfConversation}
	badInfo := domain.Message{Type: domain.TypeActivityMessage, From: domain.Participant{ID: agent.ID}, ActivityType: domain.ActivityHandOff, Info: json.RawMessage(`[1]`)}
	unknownType := chat(customer, "hi")
	unknownType.Type = "Shout"

	live := []domain.Event{started(), joined(customer), joined(agent)}
	tests := map[string]struct {
		given    []domain.Event
		when     domain.Command
		wantCode domain.Code
		want     []string // activity types or "ChatMessage" of the events decided
	}{
		"start":                           {when: domain.StartConversation{ConversationID: convID, CustomerID: customerID, Channel: "web", Personal: domain.PersonalData{RefID: "r"}}, want: []string{"ConversationStarted"}},
		"start twice":                     {given: live[:1], when: domain.StartConversation{ConversationID: convID, Channel: "web", Personal: domain.PersonalData{RefID: "r"}}, wantCode: domain.CodeConflict},
		"start without channel":           {when: domain.StartConversation{Personal: domain.PersonalData{RefID: "r"}}, wantCode: domain.CodeInvalid},
		"start without identifier":        {when: domain.StartConversation{Channel: "web", Personal: domain.PersonalData{FirstName: "Ada"}}, wantCode: domain.CodeInvalid},
		"start with bad email":            {when: domain.StartConversation{Channel: "web", Personal: domain.PersonalData{Email: "nope"}}, wantCode: domain.CodeInvalid},
		"join unknown conversation":       {when: domain.JoinConversation{Participant: agent}, wantCode: domain.CodeNotFound},
		"customer joins, greeted":         {given: live[:1], when: domain.JoinConversation{Participant: domain.Participant{ID: customerID}}, want: []string{"participantJoined", "greetings"}},
		"customer rejoins, not greeted":   {given: []domain.Event{started(), joined(customer), greetingFor(customer), left(customer)}, when: domain.JoinConversation{Participant: domain.Participant{ID: customerID}}, want: []string{"participantJoined"}},
		"agent joins":                     {given: live[:2], when: domain.JoinConversation{Participant: domain.Participant{ID: "agent-2"}}, want: []string{"participantJoined", "greetings"}},
		"bot joins":                       {given: live[:2], when: domain.JoinConversation{Participant: bot}, want: []string{"participantJoined", "greetings"}},
		"join with bad role":              {given: live[:1], when: domain.JoinConversation{Participant: domain.Participant{ID: "x", Role: "king"}}, wantCode: domain.CodeInvalid},
		"stranger joins as customer":      {given: live[:1], when: domain.JoinConversation{Participant: domain.Participant{ID: "x", Role: domain.RoleCustomer}}, wantCode: domain.CodeForbidden},
		"customer joins as agent":         {given: live[:1], when: domain.JoinConversation{Participant: domain.Participant{ID: customerID, Role: domain.RoleAgent}}, wantCode: domain.CodeInvalid},
		"join without id":                 {given: live[:1], when: domain.JoinConversation{}, wantCode: domain.CodeInvalid},
		"join ended conversation":         {given: append(live[:3:3], ended()), when: domain.JoinConversation{Participant: bot}, wantCode: domain.CodeEnded},
		"post chat":                       {given: live, when: domain.PostMessage{Message: chat(customer, "hello")}, want: []string{"ChatMessage"}},
		"post before joining":             {given: live[:2], when: domain.PostMessage{Message: chat(agent, "hello")}, wantCode: domain.CodeNotParticipant},
		"post after leaving":              {given: append(live[:3:3], left(agent)), when: domain.PostMessage{Message: chat(agent, "hello")}, wantCode: domain.CodeNotParticipant},
		"post to ended conversation":      {given: append(live[:3:3], ended()), when: domain.PostMessage{Message: chat(customer, "hello")}, wantCode: domain.CodeEnded},
		"post empty chat":                 {given: live, when: domain.PostMessage{Message: chat(customer, "  ")}, wantCode: domain.CodeInvalidMessage},
		"post attachment only":            {given: live, when: domain.PostMessage{Message: attach}, want: []string{"ChatMessage"}},
		"post bad attachment url":         {given: live, when: domain.PostMessage{Message: badAttach}, wantCode: domain.CodeInvalidMessage},
		"post too long":                   {given: live, when: domain.PostMessage{Message: tooLong}, wantCode: domain.CodeInvalidMessage},
		"agent whispers":                  {given: live, when: domain.PostMessage{Message: whisper}, want: []string{"ChatMessage"}},
		"customer whispers":               {given: live, when: domain.PostMessage{Message: customerWhisper}, wantCode: domain.CodeForbidden},
		"post to a participant":           {given: live, when: domain.PostMessage{Message: toAgent}, want: []string{"ChatMessage"}},
		"post to a stranger":              {given: live, when: domain.PostMessage{Message: toStranger}, wantCode: domain.CodeInvalidMessage},
		"post with client id":             {given: live, when: domain.PostMessage{Message: withID}, want: []string{"ChatMessage"}},
		"post with bad id":                {given: live, when: domain.PostMessage{Message: badID}, wantCode: domain.CodeInvalidMessage},
		"post for another conversation":   {given: live, when: domain.PostMessage{Message: otherConv}, wantCode: domain.CodeInvalidMessage},
		"post unknown type":               {given: live, when: domain.PostMessage{Message: unknownType}, wantCode: domain.CodeInvalidMessage},
		"customer types":                  {given: live, when: domain.PostMessage{Message: typing}, want: []string{"typing"}},
		"client forges participantJoined": {given: live, when: domain.PostMessage{Message: forgedJoin}, wantCode: domain.CodeInvalidMessage},
		"customer hands off":              {given: live, when: domain.PostMessage{Message: customerHandOff}, wantCode: domain.CodeForbidden},
		"info not an object":              {given: live, when: domain.PostMessage{Message: badInfo}, wantCode: domain.CodeInvalidMessage},
		"endOfConversation message ends":  {given: live, when: domain.PostMessage{Message: endByMessage}, want: []string{"endOfConversation"}},
		"end":                             {given: live, when: domain.EndConversation{By: customer}, want: []string{"endOfConversation"}},
		"end twice":                       {given: append(live[:3:3], ended()), when: domain.EndConversation{By: customer}, wantCode: domain.CodeEnded},
		"end by stranger":                 {given: live, when: domain.EndConversation{By: bot}, wantCode: domain.CodeNotParticipant},
		"leave":                           {given: live, when: domain.LeaveConversation{Participant: agent}, want: []string{"participantLeft"}},
		"leave without joining":           {given: live, when: domain.LeaveConversation{Participant: bot}, wantCode: domain.CodeNotParticipant},
		"leave after end":                 {given: append(live[:3:3], ended()), when: domain.LeaveConversation{Participant: agent}, wantCode: domain.CodeEnded},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := given(t, tt.given...)
			before := c.Version
			events, err := domain.Decide(c, tt.when, env())
			if c.Version != before {
				t.Fatal("Decide changed the state")
			}
			if tt.wantCode != "" {
				if got := domain.ErrorCode(err); got != tt.wantCode {
					t.Fatalf("error code = %q (%v), want %q", got, err, tt.wantCode)
				}
				if domain.ErrorMessage(err) == "" {
					t.Fatal("error has no message")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := kinds(events); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("events = %v, want %v", got, tt.want)
			}
		})
	}
}

func greetingFor(p domain.Participant) domain.Event {
	return domain.Message{ID: "g-" + p.ID, ConversationID: convID, Type: domain.TypeActivityMessage, From: domain.SystemParticipant, To: []domain.Participant{p}, ActivityType: domain.ActivityGreetings}
}

func kinds(events []domain.Event) []string {
	var out []string
	for _, e := range events {
		switch e := e.(type) {
		case domain.Message:
			if e.Type == domain.TypeChatMessage {
				out = append(out, e.Type)
			} else {
				out = append(out, e.ActivityType)
			}
		default:
			out = append(out, e.EventType())
		}
	}
	return out
}

func TestDecideFillsServerFields(t *testing.T) {
	c := given(t, started(), joined(customer), joined(agent))
	m := chat(customer, "hello")
	m.To = []domain.Participant{{ID: agent.ID}}
	events, err := domain.Decide(c, domain.PostMessage{Message: m}, env())
	if err != nil {
		t.Fatal(err)
	}
	got := events[0].(domain.Message)
	if got.ID == "" || got.ConversationID != convID || got.Timestamp != "2026-11-23T10:00:00.123Z" {
		t.Fatalf("server fields not filled: %+v", got)
	}
	if got.From != customer {
		t.Fatalf("from = %+v, want the joined customer %+v", got.From, customer)
	}
	if got.To[0] != agent {
		t.Fatalf("to = %+v, want resolved %+v", got.To, agent)
	}
}

func TestDecideDuplicate(t *testing.T) {
	m := chat(customer, "hello")
	m.ID = "22222222-2222-4222-8222-222222222222"
	stored := m
	stored.ConversationID = convID
	c := given(t, started(), joined(customer), stored)
	_, err := domain.Decide(c, domain.PostMessage{Message: m}, env())
	var dup *domain.DuplicateMessageError
	if !errors.As(err, &dup) || dup.Sequence != 2 {
		t.Fatalf("err = %v, want a duplicate at sequence 2", err)
	}
}

func TestVisibleTo(t *testing.T) {
	whisper := domain.Message{From: agent, Tag: domain.TagWhisper}
	direct := domain.Message{From: customer, To: []domain.Participant{agent}}
	tests := []struct {
		name string
		m    domain.Message
		who  domain.Participant
		want bool
	}{
		{"whisper to customer", whisper, customer, false},
		{"whisper to agent", whisper, domain.Participant{ID: "a2", Role: domain.RoleAgent}, true},
		{"direct to recipient", direct, agent, true},
		{"direct to sender", direct, customer, true},
		{"direct to other", direct, bot, false},
		{"broadcast", domain.Message{From: agent}, customer, true},
	}
	for _, tt := range tests {
		if got := tt.m.VisibleTo(tt.who.ID, tt.who.Role); got != tt.want {
			t.Errorf("%s: VisibleTo = %v, want %v", tt.name, got, tt.want)
		}
	}
}
