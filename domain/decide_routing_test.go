package domain_test

import (
	"encoding/json"
	"testing"

	"github.com/parley-chat/parley/domain"
)

func activityFrom(p domain.Participant, kind, info string) domain.Message {
	return domain.Message{ConversationID: convID, Type: domain.TypeActivityMessage, From: p, ActivityType: kind, Info: json.RawMessage(info)}
}

func TestParticipantActivities(t *testing.T) {
	removed := domain.Message{ID: "r-1", ConversationID: convID, Type: domain.TypeActivityMessage, From: agent,
		ActivityType: domain.ActivityParticipantRemoved, Info: json.RawMessage(`{"id":"bot-1"}`)}
	tests := map[string]struct {
		given []domain.Event
		when  domain.Command
		code  domain.Code
	}{
		"staff adds a bot": {
			given: []domain.Event{started(), joined(agent)},
			when:  domain.PostMessage{Message: activityFrom(agent, domain.ActivityParticipantAdded, `{"id":"bot-1","name":"Botty","role":"bot"}`)},
		},
		"adding a customer is refused": {
			given: []domain.Event{started(), joined(agent)},
			when:  domain.PostMessage{Message: activityFrom(agent, domain.ActivityParticipantAdded, `{"id":"x","role":"customer"}`)},
			code:  domain.CodeInvalid,
		},
		"participantAdded without info is refused": {
			given: []domain.Event{started(), joined(agent)},
			when:  domain.PostMessage{Message: activityFrom(agent, domain.ActivityParticipantAdded, `{}`)},
			code:  domain.CodeInvalid,
		},
		"a customer may not add": {
			given: []domain.Event{started(), joined(customer)},
			when:  domain.PostMessage{Message: activityFrom(customer, domain.ActivityParticipantAdded, `{"id":"bot-1","role":"bot"}`)},
			code:  domain.CodeForbidden,
		},
		"staff removes a bot": {
			given: []domain.Event{started(), joined(agent), joined(bot)},
			when:  domain.PostMessage{Message: activityFrom(agent, domain.ActivityParticipantRemoved, `{"id":"bot-1"}`)},
		},
		"the customer cannot be removed": {
			given: []domain.Event{started(), joined(agent), joined(customer)},
			when:  domain.PostMessage{Message: activityFrom(agent, domain.ActivityParticipantRemoved, `{"id":"`+customerID+`"}`)},
			code:  domain.CodeForbidden,
		},
		"removing a stranger is refused": {
			given: []domain.Event{started(), joined(agent)},
			when:  domain.PostMessage{Message: activityFrom(agent, domain.ActivityParticipantRemoved, `{"id":"nobody"}`)},
			code:  domain.CodeInvalid,
		},
		"a removed participant may not send": {
			given: []domain.Event{started(), joined(agent), joined(bot), removed},
			when:  domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: bot, Text: "still here?"}},
			code:  domain.CodeNotParticipant,
		},
		"a removed participant may join again": {
			given: []domain.Event{started(), joined(agent), joined(bot), removed},
			when:  domain.JoinConversation{Participant: bot},
		},
		"the system ends a conversation": {
			given: []domain.Event{started()},
			when:  domain.PostSystemActivity{ActivityType: domain.ActivityEndOfConversation, Info: json.RawMessage(`{"reason":"inactivity"}`)},
		},
		"the system cannot end an ended conversation": {
			given: []domain.Event{started(), domain.Message{ID: "e", Type: domain.TypeActivityMessage, From: domain.SystemParticipant, ActivityType: domain.ActivityEndOfConversation}},
			when:  domain.PostSystemActivity{ActivityType: domain.ActivityEndOfConversation},
			code:  domain.CodeEnded,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			events, err := domain.Decide(given(t, tt.given...), tt.when, env())
			if got := domain.ErrorCode(err); got != tt.code {
				t.Fatalf("error = %v, want code %q", err, tt.code)
			}
			if tt.code == "" && len(events) == 0 {
				t.Fatal("no events")
			}
		})
	}
}

func TestSystemActivityAfterStartOnly(t *testing.T) {
	handOff := domain.PostSystemActivity{ActivityType: domain.ActivityHandOff, Info: json.RawMessage(`{"queue":"default"}`), AfterStartOnly: true}
	tests := map[string]struct {
		given []domain.Event
		want  int
	}{
		"right after the start it is stored": {given: []domain.Event{started()}, want: 1},
		"a repeated init stores nothing":     {given: []domain.Event{started(), activityFrom(domain.SystemParticipant, domain.ActivityHandOff, `{"queue":"default"}`)}, want: 0},
		"once the customer wrote, nothing":   {given: []domain.Event{started(), joined(customer)}, want: 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			events, err := domain.Decide(given(t, tt.given...), handOff, env())
			if err != nil || len(events) != tt.want {
				t.Fatalf("events = %v, err = %v; want %d events", events, err, tt.want)
			}
		})
	}
}
