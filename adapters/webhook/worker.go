package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/webhook"
)

// worker keeps one webhook: it folds the webhook's stream, claims it when
// nobody holds it, and while it holds the claim runs a generation and
// stores its checkpoints. Every append to the stream is made at the exact
// revision folded, so a claim taken over, a pause or a replay stored by
// another node (or another request) fails it, and the worker folds again
// before it goes on.
type worker struct {
	m    *Manager
	spec Spec
	wake chan struct{}

	foldMu sync.Mutex
	state  webhook.State

	statMu        sync.Mutex
	delivered     uint64
	lastSuccessAt string
	lastError     string
	lastErrorAt   string
	failing       map[string]int // conversation -> failed attempts of its head event
	stored        webhook.Checkpointed
}

func newWorker(m *Manager, spec Spec) *worker {
	return &worker{m: m, spec: spec, wake: make(chan struct{}, 1), failing: map[string]int{},
		state: webhook.State{Name: spec.Name}}
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// fold reads the webhook's stream from where the last fold stopped and
// returns the state.
func (w *worker) fold(ctx context.Context) (webhook.State, error) {
	w.foldMu.Lock()
	defer w.foldMu.Unlock()
	const page = 500
	for {
		from := domain.Revision(0)
		if w.state.Exists {
			from = w.state.Revision + 1
		}
		recs, err := w.m.cfg.Store.ReadStream(ctx, webhook.Stream(w.spec.Name), from, page)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return w.state, nil
		}
		if err != nil {
			return w.state, fmt.Errorf("read webhook %s: %w", w.spec.Name, err)
		}
		for _, rec := range recs {
			e, err := webhook.Decode(rec)
			if err != nil {
				return w.state, err
			}
			w.state.Apply(rec.Revision, e)
		}
		if len(recs) < page {
			return w.state, nil
		}
	}
}

// append stores e at the revision last folded. A *WrongExpectedVersionError
// means someone else wrote first: fold again.
func (w *worker) append(ctx context.Context, st webhook.State, e domain.Event) error {
	data, err := domain.EncodeEvent(w.m.cfg.NewID(), e, domain.Metadata{CorrelationID: w.m.cfg.Node, Actor: domain.SystemActor("webhooks")})
	if err != nil {
		return err
	}
	if _, err := w.m.cfg.Store.Append(ctx, webhook.Stream(w.spec.Name), st.Expected(), []domain.EventData{data}); err != nil {
		return err
	}
	_, err = w.fold(ctx)
	return err
}

// run keeps the webhook until ctx ends.
func (w *worker) run(ctx context.Context) {
	cfg := w.m.cfg
	for ctx.Err() == nil {
		st, err := w.fold(ctx)
		now := cfg.Now()
		wait := cfg.Lease / 3
		switch {
		case err != nil:
			cfg.Logger.Warn("webhook state unreadable; trying again", "webhook", w.spec.Name, "err", err)
		case st.Paused:
		case !st.Claimable(cfg.Node, now):
			wait = min(wait, st.LeaseUntil.Sub(now)+10*time.Millisecond)
		default:
			if err := w.claim(ctx, st); err == nil {
				w.hold(ctx)
				continue
			} else if !isConflict(err) && ctx.Err() == nil {
				cfg.Logger.Warn("webhook not claimed", "webhook", w.spec.Name, "err", err)
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-time.After(wait):
		}
	}
}

func (w *worker) claim(ctx context.Context, st webhook.State) error {
	now := w.m.cfg.Now()
	return w.append(ctx, st, webhook.Claimed{Webhook: w.spec.Name, Node: w.m.cfg.Node,
		LeaseUntil: domain.FormatTime(now.Add(w.m.cfg.Lease)), At: domain.FormatTime(now)})
}

func isConflict(err error) bool {
	var wev *domain.WrongExpectedVersionError
	return errors.As(err, &wev)
}

// hold delivers while the claim holds: it runs a generation from the
// stored position, stores a checkpoint each FlushInterval when it moved,
// renews the claim, and stops when the claim is lost, the webhook is
// paused or replayed, or ctx ends.
func (w *worker) hold(ctx context.Context) {
	cfg := w.m.cfg
	st, _ := w.fold(ctx)
	replays := st.Replays
	w.statMu.Lock()
	clear(w.failing)
	w.statMu.Unlock()
	g := startGeneration(ctx, w, st.Position, replays)
	cfg.Logger.Info("webhook delivering", "webhook", w.spec.Name, "from", st.Position, "node", cfg.Node)
	flush := time.NewTicker(cfg.FlushInterval)
	defer flush.Stop()
	renew := time.NewTicker(cfg.Lease / 3)
	defer renew.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			g.stop()
			w.release(g)
			return
		case <-w.wake:
		case <-flush.C:
			err = w.checkpoint(ctx, g, false)
		case <-renew.C:
			if st, ferr := w.fold(ctx); ferr == nil && st.Owner == cfg.Node {
				err = w.claim(ctx, st)
			}
		}
		if err != nil && !isConflict(err) && ctx.Err() == nil {
			cfg.Logger.Warn("webhook bookkeeping not stored", "webhook", w.spec.Name, "err", err)
		}
		st, ferr := w.fold(ctx)
		switch {
		case ferr != nil && cfg.Now().Before(st.LeaseUntil):
			continue // the store hiccups; the lease still holds
		case st.Owner != cfg.Node || !cfg.Now().Before(st.LeaseUntil):
			g.stop()
			cfg.Logger.Warn("webhook claim lost; another node delivers", "webhook", w.spec.Name, "owner", st.Owner)
			return
		case st.Replays != replays:
			g.stop()
			cfg.Logger.Info("webhook replay", "webhook", w.spec.Name, "from", st.Position)
			return
		case st.Paused:
			g.stop()
			_ = w.checkpoint(ctx, g, true)
			cfg.Logger.Info("webhook paused", "webhook", w.spec.Name)
			return
		}
	}
}

// checkpoint stores where g got, unless nothing changed since the last
// checkpoint (and force is false).
func (w *worker) checkpoint(ctx context.Context, g *generation, force bool) error {
	pos, _, _ := g.watermark()
	w.statMu.Lock()
	cp := webhook.Checkpointed{Webhook: w.spec.Name, Node: w.m.cfg.Node, Position: pos, Delivered: w.delivered,
		LastSuccessAt: w.lastSuccessAt, LastError: w.lastError, LastErrorAt: w.lastErrorAt, Attempts: w.attempts()}
	same := cp == w.stored
	w.statMu.Unlock()
	if same && !force {
		return nil
	}
	st, err := w.fold(ctx)
	if err != nil {
		return err
	}
	if st.Owner != w.m.cfg.Node || st.Replays != g.replays {
		return nil // the position is no longer ours to move
	}
	cp.At = domain.FormatTime(w.m.cfg.Now())
	if err := w.append(ctx, st, cp); err != nil {
		return err
	}
	w.statMu.Lock()
	cp.At = ""
	w.stored = cp
	w.statMu.Unlock()
	return nil
}

// release stores the last checkpoint and gives the claim up, on shutdown,
// so that another node need not wait for the lease to run out.
func (w *worker) release(g *generation) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := w.checkpoint(ctx, g, false); err != nil {
		w.m.cfg.Logger.Warn("webhook checkpoint not stored at shutdown", "webhook", w.spec.Name, "err", err)
		return
	}
	st, _ := w.fold(ctx)
	if st.Owner != w.m.cfg.Node {
		return
	}
	now := domain.FormatTime(w.m.cfg.Now())
	_ = w.append(ctx, st, webhook.Claimed{Webhook: w.spec.Name, Node: w.m.cfg.Node, LeaseUntil: now, At: now})
}

func (w *worker) succeeded(conv string) {
	w.statMu.Lock()
	defer w.statMu.Unlock()
	w.delivered++
	w.lastSuccessAt = domain.FormatTime(w.m.cfg.Now())
	delete(w.failing, conv)
}

func (w *worker) failed(conv string, attempt int, err error) {
	msg := err.Error()
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	w.statMu.Lock()
	w.lastError, w.lastErrorAt = msg, domain.FormatTime(w.m.cfg.Now())
	w.failing[conv] = attempt
	w.statMu.Unlock()
	w.m.cfg.Logger.Warn("webhook delivery failed; will retry", "webhook", w.spec.Name, "attempt", attempt, "err", msg)
}

// attempts is the most failed attempts of any event being retried now.
// Callers hold statMu.
func (w *worker) attempts() int {
	n := 0
	for _, a := range w.failing {
		n = max(n, a)
	}
	return n
}
