package projections

import (
	"encoding/json"

	"github.com/parley-chat/parley/domain"
)

// StatusQueued is the status of a conversation waiting for an agent.
const StatusQueued = "queued"

// applyRouting folds what routing writes into a conversation: a handOff
// queues it until an agent joins, participantAdded and participantRemoved
// change the participant list.
func (x *Index) applyRouting(m domain.Message) {
	if x.Conversation.Status == StatusEnded {
		return
	}
	switch m.ActivityType {
	case domain.ActivityHandOff:
		x.Conversation.Status = StatusQueued
	case domain.ActivityParticipantJoined:
		if m.From.Role == domain.RoleAgent && x.Conversation.Status == StatusQueued {
			x.Conversation.Status = StatusActive
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
			x.participant(domain.Participant{ID: p.ID, Name: p.Name, Role: p.Role})
			return
		}
		for i := range x.Participants {
			if x.Participants[i].ID == p.ID && x.Participants[i].Role != domain.RoleCustomer {
				x.Participants[i].sockets = 0
				x.Participants[i].State = StateLeft
				x.Participants[i].LeftAt = m.Timestamp
			}
		}
	}
}
