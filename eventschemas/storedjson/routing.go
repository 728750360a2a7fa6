package storedjson

import (
	"strconv"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
)

// DecodeRouting turns a stored routing event back into a routing.Event, as
// routing.Decode does. The events every routed conversation stores
// (queued, assigned, claimed, released) are read without reflection when
// they are in the plain form Parley writes, since the feed replays them all
// at start; anything else goes to routing.Decode (encoding/json).
// TestDecodeRoutingMatchesEncodingJSON holds the two to the same events.
func DecodeRouting(rec domain.RecordedEvent) (routing.Event, error) {
	if e, ok := scanRouting(rec); ok {
		return e, nil
	}
	return routing.Decode(rec)
}

// scanRouting decodes rec in the plain form; ok is false for anything else.
func scanRouting(rec domain.RecordedEvent) (routing.Event, bool) {
	p := NewScanner(rec.Data)
	var ts string
	var e routing.Event
	switch rec.Type {
	case routing.EventAgentClaimed:
		var c routing.AgentClaimed
		p.StringMembers([]string{"agentId", "conversationId", "timestamp"}, &c.AgentID, &c.ConversationID, &ts)
		c.Timestamp, ts = parseTime(ts), ""
		e = c
		if c.Timestamp.IsZero() {
			return nil, false
		}
	case routing.EventAgentReleased:
		var r routing.AgentReleased
		p.StringMembers([]string{"agentId", "conversationId", "reason", "timestamp"}, &r.AgentID, &r.ConversationID, &r.Reason, &ts)
		r.Timestamp = parseTime(ts)
		e = r
		if r.Timestamp.IsZero() {
			return nil, false
		}
	case routing.EventConversationQueued:
		var q routing.ConversationQueued
		p.StringMembers([]string{"conversationId", "queue", "reason", "offeredTo", "handedOffBy", "subject", "channel", "timestamp"},
			&q.ConversationID, &q.Queue, &q.Reason, &q.OfferedTo, &q.HandedOffBy, &q.Subject, &q.Channel, &ts)
		q.Timestamp = parseTime(ts)
		e = q
		if q.Timestamp.IsZero() {
			return nil, false
		}
	case routing.EventConversationAssigned:
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

// scanAssigned reads a routing.ConversationAssigned.
func scanAssigned(p *Scanner) (routing.ConversationAssigned, bool) {
	var a routing.ConversationAssigned
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
			sub := NewScanner(v)
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
