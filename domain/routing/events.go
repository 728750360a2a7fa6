// Package routing is the pure model of routing: which queue a conversation
// waits in, which agent it is assigned to, and each agent's presence and
// capacity. It holds two deciders, one per stream kind: a Ticket (the
// routing-<conversationId> stream) and an Agent (the agent-<agentId>
// stream). It imports only the standard library; the router runs it.
package routing

import "time"

// Event types of the routing streams.
const (
	EventConversationQueued     = "ConversationQueued"
	EventConversationAssigned   = "ConversationAssigned"
	EventConversationUnassigned = "ConversationUnassigned"
	EventAgentStateChanged      = "AgentStateChanged"
	EventAgentLeaseRenewed      = "AgentLeaseRenewed"
	EventAgentClaimed           = "AgentClaimed"
	EventAgentReleased          = "AgentReleased"
)

// SchemaVersions is the current schema version of each routing event type;
// eventschemas holds a schema for each.
var SchemaVersions = map[string]int{
	EventConversationQueued:     1,
	EventConversationAssigned:   1,
	EventConversationUnassigned: 1,
	EventAgentStateChanged:      1,
	EventAgentLeaseRenewed:      1,
	EventAgentClaimed:           1,
	EventAgentReleased:          1,
}

// Stream prefixes of the routing streams.
const (
	TicketStreamPrefix = "routing-"
	AgentStreamPrefix  = "agent-"
)

// TicketStream is the routing stream of a conversation.
func TicketStream(conversationID string) string { return TicketStreamPrefix + conversationID }

// AgentStream is the presence and capacity stream of an agent.
func AgentStream(agentID string) string { return AgentStreamPrefix + agentID }

// Reasons a conversation is queued or unassigned.
const (
	ReasonNew      = "new"      // a new conversation
	ReasonHandOff  = "handOff"  // staff handed it off
	ReasonPresence = "presence" // its agent's presence lapsed
	// ReasonOfferLapsed: the agent it was offered to is no longer ready,
	// so it goes back to its queue (ADR 29).
	ReasonOfferLapsed = "offerLapsed"
)

// Agent states.
const (
	StateReady    = "ready"
	StateNotReady = "notReady"
)

// Event is a routing event.
type Event interface {
	// EventType is the name the event is stored under.
	EventType() string
}

// ConversationQueued puts a conversation in a queue to wait for an agent.
type ConversationQueued struct {
	ConversationID string `json:"conversationId"`
	Queue          string `json:"queue"`
	Reason         string `json:"reason"`
	// OfferedTo, when set, is the only agent the conversation may go to.
	OfferedTo string `json:"offeredTo,omitempty"`
	// HandedOffBy is the agent who handed it off: not offered back to them
	// while another eligible agent exists.
	HandedOffBy string    `json:"handedOffBy,omitempty"`
	Subject     string    `json:"subject,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	Timestamp   time.Time `json:"timestamp"`
}

// ConversationAssigned gives a queued conversation to an agent, and says why.
type ConversationAssigned struct {
	ConversationID string `json:"conversationId"`
	AgentID        string `json:"agentId"`
	Queue          string `json:"queue"`
	WaitedMs       int64  `json:"waitedMs"`
	// Candidates are the agents that were eligible, the chosen one first.
	Candidates []string `json:"candidates"`
	// Previous is the agent the conversation had before a transfer.
	Previous  string    `json:"previous,omitempty"`
	Timestamp time.Time `json:"timestamp"`
}

// ConversationUnassigned takes a conversation away from its agent.
type ConversationUnassigned struct {
	ConversationID string    `json:"conversationId"`
	AgentID        string    `json:"agentId"`
	Reason         string    `json:"reason"`
	Timestamp      time.Time `json:"timestamp"`
}

// AgentStateChanged records an agent's presence: ready for which queues with
// what capacity, or not ready. LeaseUntil is when a ready agent becomes not
// ready unless its node renews the lease.
type AgentStateChanged struct {
	AgentID    string    `json:"agentId"`
	State      string    `json:"state"`
	Queues     []string  `json:"queues"`
	Capacity   int       `json:"capacity"`
	LeaseUntil time.Time `json:"leaseUntil"`
	Reason     string    `json:"reason,omitempty"`
	Timestamp  time.Time `json:"timestamp"`
}

// AgentLeaseRenewed extends a ready agent's presence lease.
type AgentLeaseRenewed struct {
	AgentID    string    `json:"agentId"`
	LeaseUntil time.Time `json:"leaseUntil"`
	Timestamp  time.Time `json:"timestamp"`
}

// AgentClaimed takes one unit of an agent's capacity for a conversation,
// before the conversation's assignment is appended.
type AgentClaimed struct {
	AgentID        string    `json:"agentId"`
	ConversationID string    `json:"conversationId"`
	Timestamp      time.Time `json:"timestamp"`
}

// AgentReleased gives a claimed unit of capacity back.
type AgentReleased struct {
	AgentID        string    `json:"agentId"`
	ConversationID string    `json:"conversationId"`
	Reason         string    `json:"reason"`
	Timestamp      time.Time `json:"timestamp"`
}

// EventType implements Event.
func (ConversationQueued) EventType() string { return EventConversationQueued }

// EventType implements Event.
func (ConversationAssigned) EventType() string { return EventConversationAssigned }

// EventType implements Event.
func (ConversationUnassigned) EventType() string { return EventConversationUnassigned }

// EventType implements Event.
func (AgentStateChanged) EventType() string { return EventAgentStateChanged }

// EventType implements Event.
func (AgentLeaseRenewed) EventType() string { return EventAgentLeaseRenewed }

// EventType implements Event.
func (AgentClaimed) EventType() string { return EventAgentClaimed }

// EventType implements Event.
func (AgentReleased) EventType() string { return EventAgentReleased }
