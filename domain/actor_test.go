package domain_test

import (
	"testing"

	"github.com/parley-chat/parley/domain"
)

func TestActorOf(t *testing.T) {
	tests := map[string]struct {
		given domain.Principal
		who   domain.Participant
		want  domain.Actor
	}{
		"a customer token names its participant": {domain.Principal{Name: "p-1", Role: domain.RoleCustomer, ParticipantID: "p-1", ConversationID: "c"},
			domain.Participant{ID: "someone-else"}, domain.Actor{Kind: domain.ActorCustomer, ID: "p-1"}},
		"an agent key names the key": {domain.Principal{Name: "agent-1", Role: domain.RoleAgent},
			domain.Participant{ID: "grace", Role: domain.RoleAgent}, domain.Actor{Kind: domain.ActorStaff, ID: "agent-1"}},
		"a supervisor key": {domain.Principal{Name: "sup", Role: domain.RoleSupervisor}, domain.Participant{}, domain.Actor{Kind: domain.ActorStaff, ID: "sup"}},
		"a connector key":  {domain.Principal{Name: "sms", Role: domain.RoleConnector}, domain.Participant{}, domain.Actor{Kind: domain.ActorConnector, ID: "sms"}},
		"a sender key":     {domain.Principal{Name: "campaigns", Role: domain.RoleSender}, domain.Participant{}, domain.Actor{Kind: domain.ActorSender, ID: "campaigns"}},
		"auth off, a staff participant": {domain.Principal{Unchecked: true}, domain.Participant{ID: "agent-7", Role: domain.RoleBot},
			domain.Actor{Kind: domain.ActorStaff, ID: "agent-7"}},
		"auth off, a participant without a role is a customer": {domain.Principal{Unchecked: true}, domain.Participant{ID: "p-9"},
			domain.Actor{Kind: domain.ActorCustomer, ID: "p-9"}},
		"auth off, nobody named":   {domain.Principal{Unchecked: true}, domain.Participant{}, domain.Actor{}},
		"Parley's own participant": {domain.Principal{}, domain.SystemParticipant, domain.Actor{Kind: domain.ActorSystem, ID: "system"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := domain.ActorOf(tc.given, tc.who); got != tc.want {
				t.Errorf("ActorOf(%+v, %+v) = %+v, want %+v", tc.given, tc.who, got, tc.want)
			}
		})
	}
}
