package routing

import (
	"strconv"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/jsonscan"
)

// decodeScanned decodes the routing events every routed conversation
// stores (queued, assigned, claimed, released) without reflection: the
// feed replays them all at start. ok is false for data not in the plain
// form Parley writes, which encoding/json then decodes.
func decodeScanned(rec domain.RecordedEvent) (Event, bool) {
	p := jsonscan.New(rec.Data)
	var ts string
	var e Event
	switch rec.Type {
	case EventAgentClaimed:
		var c AgentClaimed
		p.StringMembers([]string{"agentId", "conversationId", "timestamp"}, &c.AgentID, &c.ConversationID, &ts)
		c.Timestamp, ts = parseTime(ts), ""
		e = c
		if c.Timestamp.IsZero() {
			return nil, false
		}
	case EventAgentReleased:
		var r AgentReleased
		p.StringMembers([]string{"agentId", "conversationId", "reason", "timestamp"}, &r.AgentID, &r.ConversationID, &r.Reason, &ts)
		r.Timestamp = parseTime(ts)
		e = r
		if r.Timestamp.IsZero() {
			return nil, false
		}
	case EventConversationQueued:
		var q ConversationQueued
		p.StringMembers([]string{"conversationId", "queue", "reason", "offeredTo", "handedOffBy", "subject", "channel", "timestamp"},
			&q.ConversationID, &q.Queue, &q.Reason, &q.OfferedTo, &q.HandedOffBy, &q.Subject, &q.Channel, &ts)
		q.Timestamp = parseTime(ts)
		e = q
		if q.Timestamp.IsZero() {
			return nil, false
		}
	case EventConversationAssigned:
		a, ok := scanAssigned(&p)
		if !ok {
			return nil, false
		}
		e = a
	default:
		return nil, false
	}
	return e, p.Done()
}

// scanAssigned reads a ConversationAssigned.
func scanAssigned(p *jsonscan.Scanner) (ConversationAssigned, bool) {
	var a ConversationAssigned
	var ts string
	ok := true
	p.Members(func(key []byte) (int, bool) {
		switch string(key) {
		case "conversationId":
			a.ConversationID = p.Str()
			return 0, true
		case "agentId":
			a.AgentID = p.Str()
			return 1, true
		case "queue":
			a.Queue = p.Str()
			return 2, true
		case "waitedMs":
			n, err := strconv.ParseInt(string(p.Value()), 10, 64)
			a.WaitedMs, ok = n, ok && err == nil
			return 3, true
		case "candidates":
			v := p.Value()
			if string(v) == "null" {
				return 4, true
			}
			sub := jsonscan.New(v)
			sub.Array(func() { a.Candidates = append(a.Candidates, sub.Str()) })
			ok = ok && sub.Done()
			return 4, true
		case "previous":
			a.Previous = p.Str()
			return 5, true
		case "timestamp":
			ts = p.Str()
			return 6, true
		}
		return 0, false
	})
	a.Timestamp = parseTime(ts)
	return a, ok && !a.Timestamp.IsZero()
}

// parseTime parses a timestamp as encoding/json writes time.Time; zero
// when it does not parse.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
