package claims_test

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/claims"
)

// clock is a settable time for claim expiry.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func claimTaker(store domain.EventStore, c *clock) claims.Taker {
	return claims.Taker{Store: store, Now: c.now, NewID: uuid.NewString}
}

func TestClaim(t *testing.T) {
	const ttl = 30 * time.Second
	tests := []struct {
		name    string
		given   func(t *testing.T, svc claims.Taker, c *clock) // claims before
		holder  string
		want    bool
		wantFor time.Duration // with want false: how long the other still holds it
	}{
		{"a fresh claim is taken", func(*testing.T, claims.Taker, *clock) {}, "b", true, 0},
		{"another's live claim is refused, naming its end", func(t *testing.T, svc claims.Taker, c *clock) {
			mustClaim(t, svc, "a", ttl)
			c.add(10 * time.Second)
		}, "b", false, 20 * time.Second},
		{"an expired claim is taken over", func(t *testing.T, svc claims.Taker, c *clock) {
			mustClaim(t, svc, "a", ttl)
			c.add(ttl + time.Millisecond)
		}, "b", true, 0},
		{"the holder renews its own", func(t *testing.T, svc claims.Taker, c *clock) {
			mustClaim(t, svc, "a", ttl)
			c.add(time.Second)
		}, "a", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := openClaimStore(t)
			c := newClock()
			svc := claimTaker(store, c)
			tt.given(t, svc, c)
			ok, until, err := svc.Take(t.Context(), domain.ClaimStream("delivery", "m1"), tt.holder, ttl)
			if err != nil || ok != tt.want {
				t.Fatalf("Take = %v, %v; want %v", ok, err, tt.want)
			}
			if !ok && until.Sub(c.now()) != tt.wantFor {
				t.Errorf("held by the other for %v more, want %v", until.Sub(c.now()), tt.wantFor)
			}
		})
	}
}

// Of many nodes claiming one thing at once, exactly one gets it.
func TestClaimRaceHasOneWinner(t *testing.T) {
	store := openClaimStore(t)
	c := newClock()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		svc := claimTaker(store, c)
		wg.Go(func() {
			ok, _, err := svc.Take(t.Context(), domain.ClaimStream("email", "r1"), string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d nodes hold the claim, want 1", wins.Load())
	}
}

func mustClaim(t *testing.T, svc claims.Taker, holder string, ttl time.Duration) {
	t.Helper()
	if ok, _, err := svc.Take(t.Context(), domain.ClaimStream("delivery", "m1"), holder, ttl); err != nil || !ok {
		t.Fatalf("given claim by %s: %v, %v", holder, ok, err)
	}
}

func openClaimStore(t *testing.T) domain.EventStore {
	t.Helper()
	s, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
