// Package claims makes one node of several do a thing once: send a message
// to a connector, send a transcript email. A node claims a thing by
// appending a domain.Claimed event to the thing's claim stream with the
// revision it last saw, so of two nodes claiming at once exactly one append
// succeeds.
package claims

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/domain"
)

// claimAttempts bounds the rounds of a Claim that keeps losing races to
// claims that expire at once: a ttl of that order is a mistake, not load.
const claimAttempts = 4

// Taker takes claims on a store.
type Taker struct {
	Store domain.EventStore
	Now   func() time.Time
	NewID func() string
}

// Take takes the claim on stream for holder for ttl. It succeeds when the
// stream holds no claim, when the last one has expired, or when the last
// one is holder's own (a renewal). Otherwise it returns false and until
// when the other holder has it. It fails only when the store does.
func (s Taker) Take(ctx context.Context, stream, holder string, ttl time.Duration) (bool, time.Time, error) {
	expected := domain.NoStream()
	for range claimAttempts {
		now := s.Now()
		data, err := domain.EncodeEvent(s.NewID(), domain.Claimed{Holder: holder, Until: domain.FormatTime(now.Add(ttl)), Timestamp: domain.FormatTime(now)}, domain.Metadata{Actor: domain.SystemActor("claims")})
		if err != nil {
			return false, time.Time{}, err
		}
		_, err = s.Store.Append(ctx, stream, expected, []domain.EventData{data})
		var wrong *domain.WrongExpectedVersionError
		if err == nil {
			return true, time.Time{}, nil
		} else if !errors.As(err, &wrong) {
			return false, time.Time{}, err
		}
		last, rev, err := lastClaim(ctx, s.Store, stream)
		if err != nil {
			return false, time.Time{}, err
		}
		until, err := time.Parse(domain.TimeFormat, last.Until)
		if err != nil {
			return false, time.Time{}, fmt.Errorf("claim %s: %w", stream, err)
		}
		if last.Holder != holder && until.After(s.Now()) {
			return false, until, nil
		}
		expected = domain.Exact(rev)
	}
	return false, s.Now().Add(ttl), nil
}

// lastClaim reads the last claim on stream and its revision. Claim streams
// stay short: an event per holder change or renewal.
func lastClaim(ctx context.Context, store domain.EventStore, stream string) (domain.Claimed, domain.Revision, error) {
	var last domain.RecordedEvent
	for from := domain.Revision(0); ; {
		recs, err := store.ReadStream(ctx, stream, from, 100)
		if err != nil {
			return domain.Claimed{}, 0, fmt.Errorf("read claim %s: %w", stream, err)
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
		return domain.Claimed{}, 0, fmt.Errorf("claim %s: %w", stream, domain.ErrStreamNotFound)
	}
	e, err := domain.DecodeEvent(last)
	if err != nil {
		return domain.Claimed{}, 0, err
	}
	c, ok := e.(domain.Claimed)
	if !ok {
		return domain.Claimed{}, 0, fmt.Errorf("claim %s: a %s event where a claim should be", stream, last.Type)
	}
	return c, last.Revision, nil
}
