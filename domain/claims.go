package domain

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Claims make one node of several do a thing once: send a message to a
// connector, send a transcript email. Each thing has its own claim stream;
// a node claims it by appending a Claimed event with the stream's revision
// as it last saw it, so of two nodes claiming at once exactly one append
// succeeds. A claim lasts until its Until: a node that dies holding one
// keeps others off only until then.
const (
	// ClaimStreamPrefix prefixes every claim stream.
	ClaimStreamPrefix = "claim-"

	EventClaimed = "Claimed"
)

// ClaimStream returns the claim stream of the thing key of the kind kind
// ("delivery", "email").
func ClaimStream(kind, key string) string { return ClaimStreamPrefix + kind + "-" + key }

// Claimed records that Holder (a node) took a claim until Until.
type Claimed struct {
	Holder    string `json:"holder"`
	Until     string `json:"until"`
	Timestamp string `json:"timestamp"`
}

// EventType implements Event.
func (Claimed) EventType() string { return EventClaimed }

// claimAttempts bounds the rounds of a Claim that keeps losing races to
// claims that expire at once: a ttl of that order is a mistake, not load.
const claimAttempts = 4

// Claim takes the claim on stream for holder for ttl, as Claims.Take does.
func (s *Service) Claim(ctx context.Context, stream, holder string, ttl time.Duration) (bool, time.Time, error) {
	return Claims{Store: s.store, Now: s.now, NewID: s.newID}.Take(ctx, stream, holder, ttl)
}

// Claims takes claims on a store, for workers that have no Service.
type Claims struct {
	Store EventStore
	Now   func() time.Time
	NewID func() string
}

// Take takes the claim on stream for holder for ttl. It succeeds when the
// stream holds no claim, when the last one has expired, or when the last
// one is holder's own (a renewal). Otherwise it returns false and until
// when the other holder has it. It fails only when the store does.
func (s Claims) Take(ctx context.Context, stream, holder string, ttl time.Duration) (bool, time.Time, error) {
	expected := NoStream()
	for range claimAttempts {
		now := s.Now()
		data, err := EncodeEvent(s.NewID(), Claimed{Holder: holder, Until: FormatTime(now.Add(ttl)), Timestamp: FormatTime(now)}, Metadata{Actor: SystemActor("claims")})
		if err != nil {
			return false, time.Time{}, err
		}
		_, err = s.Store.Append(ctx, stream, expected, []EventData{data})
		var wrong *WrongExpectedVersionError
		if err == nil {
			return true, time.Time{}, nil
		} else if !errors.As(err, &wrong) {
			return false, time.Time{}, err
		}
		last, rev, err := lastClaim(ctx, s.Store, stream)
		if err != nil {
			return false, time.Time{}, err
		}
		until, err := time.Parse(TimeFormat, last.Until)
		if err != nil {
			return false, time.Time{}, fmt.Errorf("claim %s: %w", stream, err)
		}
		if last.Holder != holder && until.After(s.Now()) {
			return false, until, nil
		}
		expected = Exact(rev)
	}
	return false, s.Now().Add(ttl), nil
}

// lastClaim reads the last claim on stream and its revision. Claim streams
// stay short: an event per holder change or renewal.
func lastClaim(ctx context.Context, store EventStore, stream string) (Claimed, Revision, error) {
	var last RecordedEvent
	for from := Revision(0); ; {
		recs, err := store.ReadStream(ctx, stream, from, 100)
		if err != nil {
			return Claimed{}, 0, fmt.Errorf("read claim %s: %w", stream, err)
		}
		if len(recs) == 0 {
			break
		}
		last = recs[len(recs)-1]
		from = last.Revision + 1
		if len(recs) < 100 {
			break
		}
	}
	if last.ID == "" {
		return Claimed{}, 0, fmt.Errorf("claim %s: %w", stream, ErrStreamNotFound)
	}
	e, err := DecodeEvent(last)
	if err != nil {
		return Claimed{}, 0, err
	}
	c, ok := e.(Claimed)
	if !ok {
		return Claimed{}, 0, fmt.Errorf("claim %s: a %s event where a claim should be", stream, last.Type)
	}
	return c, last.Revision, nil
}
