// Package router runs routing: it reacts to the routing state (a fold kept
// current by the live feed), decides with the routing model, and appends the
// decisions with expected revisions, so that several nodes routing from one
// store never double-assign. Timers (presence leases, the longest queue
// wait, inactivity) are deadlines folded from the events, checked on every
// pass: they survive restarts, and a firing is itself an append that only
// one node wins.
package router

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/domain/routing"
)

// Board is the routing state the router decides on: a fold of the routing
// streams and of the conversation events routing reads, kept current by
// the live feed.
type Board interface {
	// With calls fn with the board under its lock; fn must neither keep
	// the board nor block.
	With(fn func(b *routing.Board))
	// Apply folds an event this node just appended, before the feed brings
	// it (the board skips it then).
	Apply(rec domain.RecordedEvent)
}

// Config wires a Router.
type Config struct {
	Store   domain.EventStore
	Service *conversations.Service
	Board   Board
	Queues  *routing.Queues
	Now     func() time.Time
	NewID   func() string
	Logger  *slog.Logger
	// PresenceGrace is how long a ready agent stays ready once its node
	// stops renewing its lease: all its connections are gone, or the
	// node died.
	PresenceGrace time.Duration
	// MaxQueueWait ends a conversation that waited that long; 0 waits.
	MaxQueueWait time.Duration
	// InactivityTimeout ends a queued or active conversation with no
	// ChatMessage for that long; 0 never does.
	InactivityTimeout time.Duration
	// DefaultCapacity is an agent's capacity when agentState names none.
	DefaultCapacity int
	// Local returns the agents with a connection on this node: their
	// leases are renewed here.
	Local func() []string
}

// Router routes conversations to agents.
type Router struct {
	cfg  Config
	kick chan struct{}
	// fired remembers the timers this node fired lately, so that it does not
	// fire one again before the feed brings the ending back.
	mu        sync.Mutex
	fired     map[string]time.Time
	lastRenew time.Time
}

// New returns a Router.
func New(cfg Config) *Router {
	if cfg.PresenceGrace <= 0 {
		cfg.PresenceGrace = 30 * time.Second
	}
	if cfg.DefaultCapacity <= 0 {
		cfg.DefaultCapacity = 3
	}
	if cfg.Local == nil {
		cfg.Local = func() []string { return nil }
	}
	return &Router{cfg: cfg, kick: make(chan struct{}, 1), fired: map[string]time.Time{}}
}

// Queues returns the queues routed to.
func (r *Router) Queues() *routing.Queues { return r.cfg.Queues }

// Kick asks for a routing pass soon.
func (r *Router) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// tick is the longest time between two passes: timers fire within it.
const tick = 200 * time.Millisecond

// Run routes until ctx ends.
func (r *Router) Run(ctx context.Context) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
		r.pass(ctx)
	}
}

// errStale tells that the board was behind the store: the decision is
// taken again on the next pass, once the feed has caught up.
var errStale = errors.New("routing state is behind the store")

// appendTo decides on the current board and appends the events to stream
// with the revision the decision saw; fold gives that revision.
func (r *Router) appendTo(ctx context.Context, stream string, decide func(b *routing.Board) (int64, []routing.Event, error)) ([]routing.Event, error) {
	var version int64
	var events []routing.Event
	var err error
	r.cfg.Board.With(func(b *routing.Board) { version, events, err = decide(b) })
	if err != nil || len(events) == 0 {
		return nil, err
	}
	data := make([]domain.EventData, len(events))
	for i, e := range events {
		if data[i], err = routing.Encode(r.cfg.NewID(), e, domain.Metadata{CorrelationID: r.cfg.NewID(), Actor: domain.SystemActor("router")}); err != nil {
			return nil, err
		}
	}
	expected := domain.NoStream()
	if version >= 0 {
		expected = domain.Exact(domain.Revision(version))
	}
	res, err := r.cfg.Store.Append(ctx, stream, expected, data)
	var wev *domain.WrongExpectedVersionError
	if errors.As(err, &wev) {
		return nil, errStale
	}
	if err != nil {
		return nil, err
	}
	first := res.NextRevision + 1 - domain.Revision(len(data))
	for i, d := range data {
		r.cfg.Board.Apply(domain.RecordedEvent{ID: d.ID, Stream: stream, Type: d.Type, Revision: first + domain.Revision(i),
			Data: d.Data, Metadata: d.Metadata, Recorded: r.cfg.Now()})
	}
	return events, nil
}

// onAgent decides on agent id and appends to its stream.
func (r *Router) onAgent(ctx context.Context, id string, decide func(a *routing.Agent, b *routing.Board) ([]routing.Event, error)) ([]routing.Event, error) {
	return r.appendTo(ctx, routing.AgentStream(id), func(b *routing.Board) (int64, []routing.Event, error) {
		a := b.Agent(id)
		events, err := decide(a, b)
		return a.Version, events, err
	})
}

// onTicket decides on conversation id's routing and appends to its stream.
func (r *Router) onTicket(ctx context.Context, id string, decide func(c *routing.Conv, b *routing.Board) ([]routing.Event, error)) ([]routing.Event, error) {
	return r.appendTo(ctx, routing.TicketStream(id), func(b *routing.Board) (int64, []routing.Event, error) {
		c := b.Conv(id)
		events, err := decide(c, b)
		return c.Ticket.Version, events, err
	})
}

// system stores an ActivityMessage from Parley in conversation id.
func (r *Router) system(ctx context.Context, id, activity string, info any) error {
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	meta := domain.Metadata{CorrelationID: r.cfg.NewID(), Actor: domain.SystemActor("router")}
	meta.CausationID = meta.CorrelationID
	_, err = r.cfg.Service.Execute(ctx, id, domain.PostSystemActivity{ActivityType: activity, Info: raw}, meta)
	return err
}

// logErr logs a failed routing step, unless it only lost a race.
func (r *Router) logErr(msg string, err error, args ...any) {
	if err == nil || errors.Is(err, errStale) || errors.Is(err, context.Canceled) {
		return
	}
	switch domain.ErrorCode(err) {
	case domain.CodeEnded, domain.CodeConflict, domain.CodeAgentUnavailable:
		return
	}
	r.cfg.Logger.Error(msg, append(args, "err", err)...)
}

// SetLocal sets the function that lists the agents connected to this node;
// it must be called before Run.
func (r *Router) SetLocal(local func() []string) { r.cfg.Local = local }
