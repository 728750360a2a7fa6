package projections

import (
	"encoding/json"

	"github.com/parley-chat/parley/domain"
)

// StatusQueued is the status of a conversation waiting for an agent.
const StatusQueued = "queued"

// applyRouting folds what routing writes into a conversation: a handOff
// queues it (until an agent joins), participantAdded and
// participantRemoved change the participant list.
func (in *Info) applyRouting(m domain.Message) {
	if in.Conversation.Status == StatusEnded {
		return
	}
	switch m.ActivityType {
	case domain.ActivityHandOff:
		in.Conversation.Status = StatusQueued
	case domain.ActivityParticipantJoined:
		if m.From.Role == domain.RoleAgent && in.Conversation.Status == StatusQueued {
			in.Conversation.Status = StatusActive
		}
	case domain.ActivityParticipantAdded, domain.ActivityParticipantRemoved:
		var p domain.ParticipantInfo
		if json.Unmarshal(m.Info, &p) != nil || p.ID == "" {
			return
		}
		if m.ActivityType == domain.ActivityParticipantAdded {
			if p.Name == "" {
				p.Name = p.ID
			}
			in.participant(domain.Participant{ID: p.ID, Name: p.Name, Role: p.Role})
			return
		}
		for i := range in.Participants {
			if in.Participants[i].ID == p.ID && in.Participants[i].Role != domain.RoleCustomer {
				in.Participants[i].sockets = 0
				in.Participants[i].State = StateLeft
				in.Participants[i].LeftAt = m.Timestamp
			}
		}
	}
}
