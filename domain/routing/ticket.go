package routing

import (
	"time"

	"github.com/parley-chat/parley/domain"
)

// Ticket statuses.
const (
	StatusNone     = ""         // never queued
	StatusQueued   = "queued"   // waiting for an agent
	StatusAssigned = "assigned" // an agent holds it
)

// Ticket is a conversation's routing, folded from its routing stream.
type Ticket struct {
	ConversationID string
	// Version is the revision of the last folded event; -1 before any.
	Version int64
	Status  string
	Queue   string
	// Agent is the assigned agent; while a transfer waits it is still the
	// agent who handed the conversation off, removed once another takes it.
	Agent       string
	OfferedTo   string
	HandedOffBy string
	Subject     string
	Channel     string
	QueuedAt    time.Time
}

// NewTicket returns the routing of a conversation with no routing events.
func NewTicket(conv string) *Ticket { return &Ticket{ConversationID: conv, Version: -1} }

// Apply evolves the ticket by one event stored at rev. It never fails.
func (t *Ticket) Apply(rev int64, e Event) {
	t.Version = rev
	switch e := e.(type) {
	case ConversationQueued:
		t.Status, t.Queue, t.OfferedTo, t.HandedOffBy, t.QueuedAt = StatusQueued, e.Queue, e.OfferedTo, e.HandedOffBy, e.Timestamp
		if e.Subject != "" || e.Channel != "" {
			t.Subject, t.Channel = e.Subject, e.Channel
		}
	case ConversationAssigned:
		t.Status, t.Agent, t.OfferedTo, t.HandedOffBy = StatusAssigned, e.AgentID, "", ""
		if e.Queue != "" {
			t.Queue = e.Queue // a first queueing implied by the handOff (ADR 29)
		}
	case ConversationUnassigned:
		if t.Agent == e.AgentID {
			t.Agent = ""
		}
		if t.Status == StatusAssigned && t.Agent == "" {
			t.Status = StatusNone
		}
	}
}

// Enqueue queues a conversation: a new one, a handOff to a queue or to one
// agent, or one whose agent's presence lapsed.
type Enqueue struct {
	Queue     string
	Reason    string
	OfferedTo string
	// By is the agent handing the conversation off, if any.
	By      string
	Subject string
	Channel string
	Now     time.Time
}

// Decide returns the events of cmd. A new conversation is queued once; a
// handOff re-queues a conversation wherever it is.
func (cmd Enqueue) Decide(t *Ticket) ([]Event, error) {
	if cmd.Queue == "" {
		return nil, domain.FieldError(domain.CodeInvalid, "queue", "queue is required")
	}
	if cmd.Reason == ReasonNew && t.Status != StatusNone {
		return nil, nil
	}
	return []Event{ConversationQueued{ConversationID: t.ConversationID, Queue: cmd.Queue, Reason: cmd.Reason,
		OfferedTo: cmd.OfferedTo, HandedOffBy: cmd.By, Subject: cmd.Subject, Channel: cmd.Channel, Timestamp: cmd.Now}}, nil
}

// Assign gives a queued conversation to an agent whose capacity was claimed.
type Assign struct {
	AgentID    string
	Candidates []string
	Now        time.Time
}

// Decide returns the events of cmd, or conflict when the conversation is not
// waiting (another node assigned it) or is offered to another agent.
func (cmd Assign) Decide(t *Ticket) ([]Event, error) {
	if t.Status != StatusQueued {
		return nil, domain.Errorf(domain.CodeConflict, "conversation %s is not waiting for an agent", t.ConversationID)
	}
	if t.OfferedTo != "" && t.OfferedTo != cmd.AgentID {
		return nil, domain.Errorf(domain.CodeConflict, "conversation %s is offered to agent %s", t.ConversationID, t.OfferedTo)
	}
	prev := ""
	if t.Agent != cmd.AgentID {
		prev = t.Agent
	}
	return []Event{ConversationAssigned{ConversationID: t.ConversationID, AgentID: cmd.AgentID, Queue: t.Queue,
		WaitedMs: max(0, cmd.Now.Sub(t.QueuedAt).Milliseconds()), Candidates: cmd.Candidates, Previous: prev, Timestamp: cmd.Now}}, nil
}

// Unassign takes the conversation from an agent whose presence lapsed and,
// when that agent held it, queues it again in its queue.
type Unassign struct {
	AgentID string
	Now     time.Time
}

// Decide returns the events of cmd; none when the agent does not hold it.
func (cmd Unassign) Decide(t *Ticket) []Event {
	if t.Agent != cmd.AgentID {
		return nil
	}
	out := []Event{ConversationUnassigned{ConversationID: t.ConversationID, AgentID: cmd.AgentID, Reason: ReasonPresence, Timestamp: cmd.Now}}
	if t.Status == StatusAssigned {
		out = append(out, ConversationQueued{ConversationID: t.ConversationID, Queue: t.Queue, Reason: ReasonPresence, Timestamp: cmd.Now})
	}
	return out
}

// Withdraw takes back the offer of a queued conversation to one agent who is
// no longer ready: it waits in its queue for any eligible agent again.
type Withdraw struct {
	AgentID string
	Now     time.Time
}

// Decide returns the events of cmd; none when the conversation is not
// offered to that agent any more.
func (cmd Withdraw) Decide(t *Ticket) []Event {
	if t.Status != StatusQueued || t.OfferedTo == "" || t.OfferedTo != cmd.AgentID {
		return nil
	}
	return []Event{ConversationQueued{ConversationID: t.ConversationID, Queue: t.Queue, Reason: ReasonOfferLapsed,
		HandedOffBy: t.HandedOffBy, Timestamp: cmd.Now}}
}
