// Package webhook delivers the events of conversation streams to HTTP
// receivers: each event POSTed as signed JSON, at least once, in order
// within a conversation, resuming from a checkpoint stored as events (see
// domain/webhook), replayable from any point of the history, with one node
// of several delivering each webhook through a claim in the store.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/webhook"
)

// Defaults of Config.
const (
	DefaultTimeout       = 10 * time.Second
	DefaultBackoff       = time.Second
	DefaultMaxBackoff    = 5 * time.Minute
	DefaultConcurrency   = 4
	DefaultWindow        = 10000
	DefaultLease         = 30 * time.Second
	DefaultFlushInterval = time.Second
)

// Config wires a Manager.
type Config struct {
	Store    domain.EventStore
	Webhooks []Spec
	// Secret signs every body; at least MinSecretBytes.
	Secret []byte
	// Timeout bounds one request.
	Timeout time.Duration
	// Backoff and MaxBackoff space the retries of a failing event.
	Backoff, MaxBackoff time.Duration
	// Concurrency bounds the requests in flight to one webhook.
	Concurrency int
	// Window bounds the events of one webhook read but not yet behind its
	// checkpoint: a conversation whose events keep failing holds up the
	// others once Window events wait behind it.
	Window int
	// Lease is how long a claim holds unless renewed: how long a dead
	// node delays delivery at most.
	Lease time.Duration
	// FlushInterval is how often the checkpoint is stored while it moves.
	FlushInterval time.Duration
	// Node identifies this process in claims.
	Node   string
	Now    func() time.Time
	NewID  func() string
	Logger *slog.Logger
	// OnAttempt, when set, is told of every delivery attempt (for
	// metrics); err is nil for a success.
	OnAttempt func(webhook string, err error, took time.Duration)
	// Trace, when set, wraps each delivery attempt (for traces): the
	// context it returns is the request's, and end is called with the
	// attempt's error.
	Trace func(ctx context.Context, webhook string, rec domain.RecordedEvent) (_ context.Context, end func(error))
}

// Manager runs every configured webhook and answers the operators' API.
type Manager struct {
	cfg     Config
	sender  *sender
	workers map[string]*worker
	order   []string
}

// New returns a Manager, or an error naming everything wrong with cfg.
func New(cfg Config) (*Manager, error) {
	var errs []error
	if cfg.Store == nil || cfg.Node == "" || cfg.NewID == nil {
		errs = append(errs, errors.New("webhooks: Store, Node and NewID are required"))
	}
	if len(cfg.Webhooks) > 0 && len(cfg.Secret) < MinSecretBytes {
		errs = append(errs, fmt.Errorf("webhooks need a secret of at least %d bytes to sign with: set --webhook-secret (PARLEY_WEBHOOK_SECRET); this one has %d", MinSecretBytes, len(cfg.Secret)))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--webhook-timeout", cfg.Timeout}, {"--webhook-backoff", cfg.Backoff}, {"--webhook-max-backoff", cfg.MaxBackoff}, {"--webhook-lease", cfg.Lease}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, not %s", d.name, d.v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	setDefaults(&cfg)
	m := &Manager{cfg: cfg, sender: newSender(cfg.Secret, cfg.Timeout), workers: map[string]*worker{}}
	for _, spec := range cfg.Webhooks {
		m.workers[spec.Name] = newWorker(m, spec)
		m.order = append(m.order, spec.Name)
	}
	return m, nil
}

func setDefaults(cfg *Config) {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.Backoff)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = min(DefaultFlushInterval, cfg.Lease/3)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run delivers every webhook until ctx ends, then stores each one's last
// checkpoint and gives its claim up.
func (m *Manager) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, name := range m.order {
		wg.Go(func() { m.workers[name].run(ctx) })
	}
	wg.Wait()
}

// Names returns the configured webhooks' names, in the order configured.
func (m *Manager) Names() []string { return append([]string(nil), m.order...) }

func (m *Manager) worker(name string) (*worker, error) {
	w, ok := m.workers[name]
	if !ok {
		return nil, domain.Errorf(webhook.CodeNotFound, "no webhook is named %q", domain.Clip(name))
	}
	return w, nil
}

// List returns the status of every webhook, as the store tells it.
func (m *Manager) List(ctx context.Context) ([]webhook.Status, error) {
	out := make([]webhook.Status, 0, len(m.order))
	for _, name := range m.order {
		s, err := m.status(ctx, m.workers[name])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (m *Manager) status(ctx context.Context, w *worker) (webhook.Status, error) {
	st, err := w.fold(ctx)
	if err != nil {
		return webhook.Status{}, err
	}
	s := webhook.Status{Name: w.spec.Name, Position: st.Position, Paused: st.Paused, Delivered: st.Delivered,
		LastSuccessAt: st.LastSuccessAt, LastError: st.LastError, LastErrorAt: st.LastErrorAt, Attempts: st.Attempts}
	if m.cfg.Now().Before(st.LeaseUntil) {
		s.Owner = st.Owner
	}
	s.LagEvents, s.LagSeconds, err = m.lag(ctx, w.spec, st.Position)
	return s, err
}

// lag counts the events spec would deliver after from, up to
// LagScanLimit, and the age of the first.
func (m *Manager) lag(ctx context.Context, spec Spec, from domain.After) (int, float64, error) {
	n, scanned := 0, 0
	var age float64
	for scanned < webhook.LagScanLimit {
		recs, err := m.cfg.Store.ReadAll(ctx, from, 1000)
		if err != nil {
			return 0, 0, fmt.Errorf("webhook lag: %w", err)
		}
		for _, rec := range recs {
			if spec.wants(rec) {
				if n == 0 {
					age = max(m.cfg.Now().Sub(rec.Recorded).Seconds(), 0)
				}
				n++
			}
			from = domain.After(rec.Position)
		}
		scanned += len(recs)
		if len(recs) < 1000 {
			break
		}
	}
	return n, age, nil
}

// Pause stops deliveries of webhook name until Resume; the position is
// kept.
func (m *Manager) Pause(ctx context.Context, name, by string) (webhook.Status, error) {
	return m.control(ctx, name, webhook.Controlled{Action: webhook.ActionPause, By: by})
}

// Resume starts deliveries of a paused webhook again.
func (m *Manager) Resume(ctx context.Context, name, by string) (webhook.Status, error) {
	return m.control(ctx, name, webhook.Controlled{Action: webhook.ActionResume, By: by})
}

// Replay delivers webhook name again from from: the start of the history,
// a position, or the first event recorded at or after a time.
// Errors: CodeNotFound of domain/webhook, CodeInvalid for a position the
// store does not know.
func (m *Manager) Replay(ctx context.Context, name string, from webhook.From, by string) (webhook.Status, error) {
	if _, err := m.worker(name); err != nil {
		return webhook.Status{}, err
	}
	pos, err := m.position(ctx, from)
	if err != nil {
		return webhook.Status{}, err
	}
	return m.control(ctx, name, webhook.Controlled{Action: webhook.ActionReplay, From: pos, By: by})
}

// position resolves a replay's from to a position the store accepts.
func (m *Manager) position(ctx context.Context, from webhook.From) (domain.After, error) {
	switch {
	case from.Start:
		return 0, nil
	case from.Time.IsZero():
		// Reading from it checks that the store knows the position.
		if _, err := m.cfg.Store.ReadAll(ctx, from.Position, 1); err != nil {
			if domain.ErrorCode(err) == domain.CodeInvalid {
				return 0, domain.FieldError(domain.CodeInvalid, "from", "position %d is not the position of a stored event", from.Position)
			}
			return 0, err
		}
		return from.Position, nil
	}
	var pos domain.After
	for {
		recs, err := m.cfg.Store.ReadAll(ctx, pos, 1000)
		if err != nil {
			return 0, err
		}
		for _, rec := range recs {
			if !rec.Recorded.Before(from.Time) {
				return pos, nil // after the last event recorded before the time
			}
			pos = domain.After(rec.Position)
		}
		if len(recs) < 1000 {
			return pos, nil // nothing that late yet: only what comes next
		}
	}
}

func (m *Manager) control(ctx context.Context, name string, c webhook.Controlled) (webhook.Status, error) {
	w, err := m.worker(name)
	if err != nil {
		return webhook.Status{}, err
	}
	c.Webhook, c.At = name, domain.FormatTime(m.cfg.Now())
	data, err := domain.EncodeEvent(m.cfg.NewID(), c, domain.Metadata{CorrelationID: m.cfg.NewID(), Actor: domain.Actor{Kind: domain.ActorStaff, ID: c.By}})
	if err != nil {
		return webhook.Status{}, err
	}
	// Any: an operator's word applies whatever the webhook's state; the
	// worker's next append, made at the revision it folded, fails and it
	// folds this in.
	if _, err := m.cfg.Store.Append(ctx, webhook.Stream(name), domain.Any(), []domain.EventData{data}); err != nil {
		return webhook.Status{}, err
	}
	w.poke()
	return m.status(ctx, w)
}
