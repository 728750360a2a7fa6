package projections

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/resubscribe"
	"github.com/parley-chat/parley/domain/transcriptmail"
)

// Run is the delivery worker; it returns when ctx ends. It folds every
// transcript email stream from the start, so the requests still pending
// after a restart are found again, and only once it has caught up does it
// send: a request whose outcome is stored but not yet folded is never sent
// twice. It needs a Mailer.
func (m *TranscriptMailer) Run(ctx context.Context) error {
	if m.cfg.Mailer == nil {
		return errors.New("transcript mailer: no Mailer to send with")
	}
	live := make(chan struct{})
	caughtUp := false
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		m.follow(ctx, func() {
			if !caughtUp {
				caughtUp = true
				close(live)
			}
		})
	}()
	defer func() { <-followed }() // so that the store outlives every read
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-live:
	}
	for {
		next, ok := m.due()
		if ok {
			m.attempt(ctx, next)
			continue
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(m.cfg.Now()), 0)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-m.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// follow subscribes to every transcript email stream and folds each event
// into the outbox, resuming after the last event with backoff if the
// subscription fails.
func (m *TranscriptMailer) follow(ctx context.Context, caughtUp func()) {
	var after domain.After // the last event folded
	var wait resubscribe.Backoff
	_ = resubscribe.Loop(ctx, &wait, func() error {
		return m.cfg.Store.SubscribeToAll(ctx, after, domain.Filter{StreamPrefix: domain.TranscriptEmailStreamPrefix},
			func(_ context.Context, rec domain.RecordedEvent) error {
				e, err := domain.DecodeEvent(rec)
				if err != nil {
					return err
				}
				m.fold(e)
				after = domain.After(rec.Position)
				wait.Reset()
				m.poke()
				return nil
			}, domain.SubscribeOptions{OnCaughtUp: caughtUp})
	}, func(err error, backoff time.Duration) bool {
		m.cfg.Logger.Warn("transcript email subscription dropped; resuming", "err", err, "backoff", backoff)
		return true
	})
}

// fold applies an outbox event and drops the request once it is done.
func (m *TranscriptMailer) fold(e domain.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.outbox.Apply(e); r != nil && r.Status != transcriptmail.Pending {
		m.outbox.Remove(r.RequestID)
		delete(m.heldElsewhere, r.RequestID)
	}
}

func (m *TranscriptMailer) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// due returns a pending request whose next attempt is due, with ok true;
// otherwise the time the earliest pending request falls due (zero when none
// is pending).
func (m *TranscriptMailer) due() (next time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	var soonest time.Time
	for _, r := range m.outbox.List() {
		if r.Status != transcriptmail.Pending {
			continue
		}
		at := m.dueAt(r)
		if !at.After(now) {
			return at, true
		}
		if soonest.IsZero() || at.Before(soonest) {
			soonest = at
		}
	}
	return soonest, false
}

// nextAttempt is when request r is next tried: at once for a new request,
// then Backoff, 2×Backoff, 4×Backoff, ... (at most MaxBackoff) after the
// last failure. It is computed from the stored events alone, so a restart
// keeps the schedule.
func (m *TranscriptMailer) nextAttempt(r transcriptmail.Request) time.Time {
	if r.Attempts == 0 {
		return time.Time{}
	}
	last, err := time.Parse(time.RFC3339Nano, r.LastAttemptAt)
	if err != nil {
		return time.Time{}
	}
	delay := m.cfg.MaxBackoff
	if r.Attempts < 30 {
		delay = min(m.cfg.Backoff<<(r.Attempts-1), m.cfg.MaxBackoff)
	}
	return last.Add(delay)
}

// attempt sends the request that is due and stores the outcome. The outcome
// is folded in at once, before the subscription brings it back, so the loop
// does not pick the same attempt again.
func (m *TranscriptMailer) attempt(ctx context.Context, at time.Time) {
	r, ok := m.pick(at)
	if !ok {
		return
	}
	n := r.Attempts + 1
	log := m.cfg.Logger.With("conversation", r.ConversationID, "request", r.RequestID, "attempt", n)
	if !m.claim(ctx, r, n, log) {
		return
	}
	actx, cancel := context.WithTimeout(ctx, emailAttemptTimeout)
	mail, err := m.compose(actx, r)
	if err == nil {
		err = m.cfg.Mailer.Send(actx, mail)
	}
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the attempt is not recorded and is made again
	}
	var outcome domain.Event
	now := domain.FormatTime(m.cfg.Now())
	if err == nil {
		outcome = domain.TranscriptEmailSent{RequestID: r.RequestID, ConversationID: r.ConversationID, Attempt: n, SentAt: now}
		log.Info("transcript email sent")
	} else {
		final := n >= m.cfg.MaxAttempts || errors.Is(err, domain.ErrMailRejected) || domain.ErrorCode(err) == domain.CodeNoEmail
		msg := redact(err.Error(), mail.To)
		if len(msg) > 2000 {
			msg = strings.ToValidUTF8(msg[:2000], "")
		}
		outcome = domain.TranscriptEmailFailed{RequestID: r.RequestID, ConversationID: r.ConversationID, Attempt: n, Error: msg, Final: final, FailedAt: now}
		if final {
			log.Error("transcript email failed for good", "err", msg)
		} else {
			log.Warn("transcript email failed; will retry", "err", msg)
		}
	}
	m.fold(outcome)
	if err := m.append(ctx, outcome, domain.Any(), domain.Metadata{CorrelationID: r.RequestID, CausationID: r.RequestID, Actor: domain.SystemActor("mailer")}); err != nil {
		log.Error("transcript email outcome not stored", "err", err)
	}
}

// redact removes the recipient's address from an error, as mail servers
// often quote it: the outbox and the logs hold no personal data.
func redact(msg, addr string) string {
	if addr == "" {
		return msg
	}
	return regexp.MustCompile(`(?i)`+regexp.QuoteMeta(addr)).ReplaceAllString(msg, "<recipient>")
}

// pick returns the first pending request due at or before at.
func (m *TranscriptMailer) pick(at time.Time) (transcriptmail.Request, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.outbox.List() {
		if r.Status == transcriptmail.Pending && !m.dueAt(r).After(at) {
			return r, true
		}
	}
	return transcriptmail.Request{}, false
}
