package routing

import (
	"slices"
	"time"

	"github.com/parley-chat/parley/domain"
)

// MaxCapacity is the most conversations one agent may hold at once.
const MaxCapacity = 100

// Agent is an agent's presence and capacity, folded from its agent stream.
type Agent struct {
	ID string
	// Version is the revision of the last folded event; -1 before any.
	Version int64
	State   string
	// Queues are the queues the agent serves; nil means every queue.
	Queues     []string
	Capacity   int
	LeaseUntil time.Time
	// Claims are the conversations holding a unit of capacity, with when
	// each was claimed.
	Claims map[string]time.Time
	// Lapsed is set when the agent became not ready because its presence
	// lease lapsed: its conversations are queued again.
	Lapsed bool
	// IdleSince is when the agent last had a unit freed or became ready:
	// the "longest idle" of the assignment policy.
	IdleSince time.Time
}

// NewAgent returns the state of an agent with no events.
func NewAgent(id string) *Agent {
	return &Agent{ID: id, Version: -1, State: StateNotReady, Claims: map[string]time.Time{}}
}

// Apply evolves the agent by one event stored at rev. It never fails.
func (a *Agent) Apply(rev int64, e Event) {
	a.Version = rev
	switch e := e.(type) {
	case AgentStateChanged:
		if e.State == StateReady && a.State != StateReady {
			a.IdleSince = e.Timestamp
		}
		a.State, a.Queues, a.Capacity, a.LeaseUntil = e.State, e.Queues, e.Capacity, e.LeaseUntil
		a.Lapsed = e.State == StateNotReady && e.Reason == ReasonPresence
	case AgentLeaseRenewed:
		a.LeaseUntil = e.LeaseUntil
	case AgentClaimed:
		a.Claims[e.ConversationID] = e.Timestamp
	case AgentReleased:
		if _, ok := a.Claims[e.ConversationID]; ok {
			delete(a.Claims, e.ConversationID)
			a.IdleSince = e.Timestamp
		}
	}
}

// Ready reports whether the agent is ready and its lease holds at now.
func (a *Agent) Ready(now time.Time) bool {
	return a.State == StateReady && now.Before(a.LeaseUntil)
}

// Serves reports whether the agent takes conversations of queue.
func (a *Agent) Serves(queue string) bool {
	return a.Queues == nil || slices.Contains(a.Queues, queue)
}

// Free returns how many more conversations the agent may take.
func (a *Agent) Free() int { return max(0, a.Capacity-len(a.Claims)) }

// SetState is an agent's agentState: ready or notReady, for some queues
// (nil: all) with a capacity, with a lease that lasts until LeaseUntil.
type SetState struct {
	State      string
	Queues     []string
	Capacity   int
	LeaseUntil time.Time
	Now        time.Time
}

// Decide returns the events of cmd; the queues are already known to exist.
func (cmd SetState) Decide(a *Agent) ([]Event, error) {
	if cmd.State != StateReady && cmd.State != StateNotReady {
		return nil, domain.FieldError(domain.CodeInvalid, "state", "state must be ready or notReady, not %q", cmd.State)
	}
	if cmd.Capacity < 1 || cmd.Capacity > MaxCapacity {
		return nil, domain.FieldError(domain.CodeInvalid, "capacity", "capacity must be between 1 and %d, not %d", MaxCapacity, cmd.Capacity)
	}
	return []Event{AgentStateChanged{AgentID: a.ID, State: cmd.State, Queues: cmd.Queues, Capacity: cmd.Capacity,
		LeaseUntil: cmd.LeaseUntil, Timestamp: cmd.Now}}, nil
}

// Renew extends a ready agent's lease; it is a no-op for an agent that is
// not ready, or whose lease already lapsed (another node may end it).
func Renew(a *Agent, until, now time.Time) []Event {
	if !a.Ready(now) || !until.After(a.LeaseUntil) {
		return nil
	}
	return []Event{AgentLeaseRenewed{AgentID: a.ID, LeaseUntil: until, Timestamp: now}}
}

// Expire makes a ready agent whose lease lapsed before now not ready.
func Expire(a *Agent, now time.Time) []Event {
	if a.State != StateReady || now.Before(a.LeaseUntil) {
		return nil
	}
	return []Event{AgentStateChanged{AgentID: a.ID, State: StateNotReady, Queues: a.Queues, Capacity: a.Capacity,
		LeaseUntil: a.LeaseUntil, Reason: ReasonPresence, Timestamp: now}}
}

// Claim takes a unit of the agent's capacity for conversation conv. It is
// refused with agent_unavailable when the agent is not ready or full; a
// claim the agent holds already yields no events.
func Claim(a *Agent, conv string, now time.Time) ([]Event, error) {
	if _, ok := a.Claims[conv]; ok {
		return nil, nil
	}
	if !a.Ready(now) {
		return nil, domain.Errorf(domain.CodeAgentUnavailable, "agent %s is not ready", a.ID)
	}
	if a.Free() == 0 {
		return nil, domain.Errorf(domain.CodeAgentUnavailable, "agent %s holds %d conversations, its capacity", a.ID, a.Capacity)
	}
	return []Event{AgentClaimed{AgentID: a.ID, ConversationID: conv, Timestamp: now}}, nil
}

// Release gives back the unit conv holds; no events when it holds none.
func Release(a *Agent, conv, reason string, now time.Time) []Event {
	if _, ok := a.Claims[conv]; !ok {
		return nil
	}
	return []Event{AgentReleased{AgentID: a.ID, ConversationID: conv, Reason: reason, Timestamp: now}}
}
