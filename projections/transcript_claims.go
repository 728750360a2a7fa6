package projections

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/claims"
	"github.com/parley-chat/parley/domain/transcriptmail"
)

// claim claims attempt n of request r through the store, when several
// nodes may send transcript emails (ClaimTimeout), and reports whether this
// node makes it. When another node holds it, r is skipped here until the
// claim lapses: that node's outcome, arriving through the subscription,
// settles it sooner; a node that died holding it delays the email by at
// most ClaimTimeout. A failed claim is tried again on the next round.
func (m *TranscriptMailer) claim(ctx context.Context, r transcriptmail.Request, n int, log *slog.Logger) bool {
	if m.cfg.ClaimTimeout <= 0 {
		return true
	}
	taker := claims.Taker{Store: m.cfg.Store, Now: m.cfg.Now, NewID: m.cfg.NewID}
	stream := domain.ClaimStream("email", fmt.Sprintf("%s-%d", r.RequestID, n))
	ok, until, err := taker.Take(ctx, stream, m.cfg.Node, m.cfg.ClaimTimeout)
	if err != nil {
		log.Warn("could not claim the transcript email; will try again", "err", err)
		m.hold(r.RequestID, m.cfg.Now().Add(time.Second))
		return false
	}
	if !ok {
		log.Debug("another node holds the transcript email's claim", "until", until)
		m.hold(r.RequestID, until)
		return false
	}
	return true
}

func (m *TranscriptMailer) hold(requestID string, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.heldElsewhere == nil {
		m.heldElsewhere = map[string]time.Time{}
	}
	m.heldElsewhere[requestID] = until
}

// dueAt is when request r may next be tried here: its next attempt, or
// later while another node holds the claim on it. The caller holds m.mu.
func (m *TranscriptMailer) dueAt(r transcriptmail.Request) time.Time {
	at := m.nextAttempt(r)
	if held := m.heldElsewhere[r.RequestID]; held.After(at) {
		return held
	}
	return at
}
