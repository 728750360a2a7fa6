package routing_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

var t0 = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

func agentGiven(events ...routing.Event) *routing.Agent {
	a := routing.NewAgent("ann")
	for i, e := range events {
		a.Apply(int64(i), e)
	}
	return a
}

func ticketGiven(events ...routing.Event) *routing.Ticket {
	t := routing.NewTicket("c1")
	for i, e := range events {
		t.Apply(int64(i), e)
	}
	return t
}

var (
	ready     = routing.AgentStateChanged{AgentID: "ann", State: routing.StateReady, Capacity: 2, LeaseUntil: t0.Add(30 * time.Second), Timestamp: t0}
	readyBill = routing.AgentStateChanged{AgentID: "ann", State: routing.StateReady, Queues: []string{"billing"}, Capacity: 1, LeaseUntil: t0.Add(30 * time.Second), Timestamp: t0}
	claimed   = func(c string) routing.Event {
		return routing.AgentClaimed{AgentID: "ann", ConversationID: c, Timestamp: t0}
	}
	queued     = routing.ConversationQueued{ConversationID: "c1", Queue: "billing", Reason: routing.ReasonNew, Timestamp: t0}
	assigned   = routing.ConversationAssigned{ConversationID: "c1", AgentID: "ann", Queue: "billing", Timestamp: t0}
	handedOff  = routing.ConversationQueued{ConversationID: "c1", Queue: "tech", Reason: routing.ReasonHandOff, HandedOffBy: "ann", Timestamp: t0}
	offeredBob = routing.ConversationQueued{ConversationID: "c1", Queue: "billing", Reason: routing.ReasonHandOff, OfferedTo: "bob", HandedOffBy: "ann", Timestamp: t0}
)

func TestAgentDecisions(t *testing.T) {
	now := t0.Add(time.Second)
	tests := map[string]struct {
		given []routing.Event
		when  func(a *routing.Agent) ([]routing.Event, error)
		then  []routing.Event
		code  domain.Code
	}{
		"ready agent claims": {
			given: []routing.Event{ready},
			when:  func(a *routing.Agent) ([]routing.Event, error) { return routing.Claim(a, "c1", now) },
			then:  []routing.Event{routing.AgentClaimed{AgentID: "ann", ConversationID: "c1", Timestamp: now}},
		},
		"claim held already is a no-op": {
			given: []routing.Event{ready, claimed("c1")},
			when:  func(a *routing.Agent) ([]routing.Event, error) { return routing.Claim(a, "c1", now) },
		},
		"full agent refuses": {
			given: []routing.Event{ready, claimed("c1"), claimed("c2")},
			when:  func(a *routing.Agent) ([]routing.Event, error) { return routing.Claim(a, "c3", now) },
			code:  domain.CodeAgentUnavailable,
		},
		"not ready agent refuses": {
			when: func(a *routing.Agent) ([]routing.Event, error) { return routing.Claim(a, "c1", now) },
			code: domain.CodeAgentUnavailable,
		},
		"lapsed lease refuses": {
			given: []routing.Event{ready},
			when:  func(a *routing.Agent) ([]routing.Event, error) { return routing.Claim(a, "c1", t0.Add(time.Minute)) },
			code:  domain.CodeAgentUnavailable,
		},
		"release of a claim": {
			given: []routing.Event{ready, claimed("c1")},
			when: func(a *routing.Agent) ([]routing.Event, error) {
				return routing.Release(a, "c1", "ended", now), nil
			},
			then: []routing.Event{routing.AgentReleased{AgentID: "ann", ConversationID: "c1", Reason: "ended", Timestamp: now}},
		},
		"release of nothing is a no-op": {
			given: []routing.Event{ready},
			when:  func(a *routing.Agent) ([]routing.Event, error) { return routing.Release(a, "c1", "ended", now), nil },
		},
		"lapsed lease expires": {
			given: []routing.Event{ready},
			when:  func(a *routing.Agent) ([]routing.Event, error) { return routing.Expire(a, t0.Add(31*time.Second)), nil },
			then: []routing.Event{routing.AgentStateChanged{AgentID: "ann", State: routing.StateNotReady, Capacity: 2,
				LeaseUntil: ready.LeaseUntil, Reason: routing.ReasonPresence, Timestamp: t0.Add(31 * time.Second)}},
		},
		"live lease does not expire": {
			given: []routing.Event{ready},
			when:  func(a *routing.Agent) ([]routing.Event, error) { return routing.Expire(a, now), nil },
		},
		"renewal extends a live lease": {
			given: []routing.Event{ready},
			when: func(a *routing.Agent) ([]routing.Event, error) {
				return routing.Renew(a, now.Add(30*time.Second), now), nil
			},
			then: []routing.Event{routing.AgentLeaseRenewed{AgentID: "ann", LeaseUntil: now.Add(30 * time.Second), Timestamp: now}},
		},
		"renewal cannot revive a lapsed lease": {
			given: []routing.Event{ready},
			when: func(a *routing.Agent) ([]routing.Event, error) {
				return routing.Renew(a, t0.Add(2*time.Minute), t0.Add(time.Minute)), nil
			},
		},
		"capacity over the cap is refused": {
			when: func(a *routing.Agent) ([]routing.Event, error) {
				return routing.SetState{State: routing.StateReady, Capacity: 101, Now: now}.Decide(a)
			},
			code: domain.CodeInvalid,
		},
		"unknown state is refused": {
			when: func(a *routing.Agent) ([]routing.Event, error) {
				return routing.SetState{State: "away", Capacity: 3, Now: now}.Decide(a)
			},
			code: domain.CodeInvalid,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tt.when(agentGiven(tt.given...))
			if domain.ErrorCode(err) != tt.code {
				t.Fatalf("error = %v, want code %q", err, tt.code)
			}
			if !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("events = %+v\nwant     %+v", got, tt.then)
			}
		})
	}
}

func TestTicketDecisions(t *testing.T) {
	now := t0.Add(1500 * time.Millisecond)
	tests := map[string]struct {
		given []routing.Event
		when  func(tk *routing.Ticket) ([]routing.Event, error)
		then  []routing.Event
		code  domain.Code
	}{
		"new conversation is queued": {
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Enqueue{Queue: "billing", Reason: routing.ReasonNew, Now: now}.Decide(tk)
			},
			then: []routing.Event{routing.ConversationQueued{ConversationID: "c1", Queue: "billing", Reason: routing.ReasonNew, Timestamp: now}},
		},
		"new conversation is queued once": {
			given: []routing.Event{queued},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Enqueue{Queue: "billing", Reason: routing.ReasonNew, Now: now}.Decide(tk)
			},
		},
		"queued conversation is assigned, with the wait": {
			given: []routing.Event{queued},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Assign{AgentID: "ann", Candidates: []string{"ann", "bob"}, Now: now}.Decide(tk)
			},
			then: []routing.Event{routing.ConversationAssigned{ConversationID: "c1", AgentID: "ann", Queue: "billing", WaitedMs: 1500,
				Candidates: []string{"ann", "bob"}, Timestamp: now}},
		},
		"assigned conversation is not assigned twice": {
			given: []routing.Event{queued, assigned},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Assign{AgentID: "bob", Now: now}.Decide(tk)
			},
			code: domain.CodeConflict,
		},
		"a transfer names the previous agent": {
			given: []routing.Event{queued, assigned, handedOff},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Assign{AgentID: "bob", Now: now}.Decide(tk)
			},
			then: []routing.Event{routing.ConversationAssigned{ConversationID: "c1", AgentID: "bob", Queue: "tech", WaitedMs: 1500, Previous: "ann", Timestamp: now}},
		},
		"an offer goes only to its agent": {
			given: []routing.Event{queued, assigned, offeredBob},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Assign{AgentID: "carl", Now: now}.Decide(tk)
			},
			code: domain.CodeConflict,
		},
		"lapsed agent's conversation is queued again": {
			given: []routing.Event{queued, assigned},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Unassign{AgentID: "ann", Now: now}.Decide(tk), nil
			},
			then: []routing.Event{
				routing.ConversationUnassigned{ConversationID: "c1", AgentID: "ann", Reason: routing.ReasonPresence, Timestamp: now},
				routing.ConversationQueued{ConversationID: "c1", Queue: "billing", Reason: routing.ReasonPresence, Timestamp: now},
			},
		},
		"an offer whose agent left goes back to its queue": {
			given: []routing.Event{queued, assigned, offeredBob},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Withdraw{AgentID: "bob", Now: now}.Decide(tk), nil
			},
			then: []routing.Event{routing.ConversationQueued{ConversationID: "c1", Queue: offeredBob.Queue, Reason: routing.ReasonOfferLapsed,
				HandedOffBy: offeredBob.HandedOffBy, Timestamp: now}},
		},
		"withdrawing an offer to another agent is a no-op": {
			given: []routing.Event{queued, assigned, offeredBob},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Withdraw{AgentID: "carl", Now: now}.Decide(tk), nil
			},
		},
		"an assignment of an implied queueing records its queue": {
			given: []routing.Event{},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				tk.Status, tk.Queue, tk.QueuedAt = routing.StatusQueued, "billing", now.Add(-time.Second)
				return routing.Assign{AgentID: "ann", Now: now}.Decide(tk)
			},
			then: []routing.Event{routing.ConversationAssigned{ConversationID: "c1", AgentID: "ann", Queue: "billing", WaitedMs: 1000, Timestamp: now}},
		},
		"unassigning another agent is a no-op": {
			given: []routing.Event{queued, assigned},
			when: func(tk *routing.Ticket) ([]routing.Event, error) {
				return routing.Unassign{AgentID: "bob", Now: now}.Decide(tk), nil
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tt.when(ticketGiven(tt.given...))
			if domain.ErrorCode(err) != tt.code {
				t.Fatalf("error = %v, want code %q", err, tt.code)
			}
			if !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("events = %+v\nwant     %+v", got, tt.then)
			}
		})
	}
}

func TestRankFewestActiveThenLongestIdle(t *testing.T) {
	cands := []routing.Candidate{
		{ID: "busy", Active: 2, Free: 1, IdleSince: t0},
		{ID: "full", Active: 3, Free: 0, IdleSince: t0},
		{ID: "recent", Active: 1, Free: 2, IdleSince: t0.Add(time.Minute)},
		{ID: "idle", Active: 1, Free: 2, IdleSince: t0},
		{ID: "handed", Active: 0, Free: 3, IdleSince: t0},
	}
	var got []string
	for _, c := range routing.Rank(cands, "handed") {
		got = append(got, c.ID)
	}
	if want := []string{"idle", "recent", "busy", "handed"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rank = %v, want %v", got, want)
	}
}

func TestQueues(t *testing.T) {
	q, err := routing.NewQueues([]string{"billing", "Tech"}, "default")
	if err != nil {
		t.Fatal(err)
	}
	for subject, want := range map[string]string{"BILLING": "billing", "tech": "Tech", "": "default", "other": "default"} {
		if got := q.ForSubject(subject); got != want {
			t.Errorf("ForSubject(%q) = %q, want %q", subject, got, want)
		}
	}
	if _, err := q.Lookup("nope"); domain.ErrorCode(err) != domain.CodeUnknownQueue {
		t.Errorf("Lookup(nope) = %v, want unknown_queue", err)
	}
	if _, err := routing.NewQueues([]string{"default"}, "default"); err != nil {
		t.Errorf("naming the default queue too: %v", err)
	}
	for _, bad := range [][]string{{"bil ling"}, {""}, {"a", "A"}} {
		if _, err := routing.NewQueues(bad, "default"); err == nil {
			t.Errorf("NewQueues(%q) accepted", bad)
		}
	}
}
