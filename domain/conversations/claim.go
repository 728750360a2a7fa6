package conversations

import (
	"context"
	"time"

	"github.com/parley-chat/parley/domain/claims"
)

// Claim takes the claim on stream for holder for ttl, as claims.Taker.Take
// does, on the service's store and clock.
func (s *Service) Claim(ctx context.Context, stream, holder string, ttl time.Duration) (bool, time.Time, error) {
	return claims.Taker{Store: s.store, Now: s.now, NewID: s.newID}.Take(ctx, stream, holder, ttl)
}
