package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/httpapi"
	"github.com/parley-chat/parley/adapters/ws"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/domain/router"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
)

// RoutingConfig is the configuration of routing.
type RoutingConfig struct {
	Queues            string
	DefaultQueue      string
	AgentCapacity     int
	PresenceGrace     time.Duration
	MaxQueueWait      time.Duration
	InactivityTimeout time.Duration
}

func (c *RoutingConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Queues, "queues", "", "routing queues, comma-separated (a conversation whose subject names one waits in it)")
	fs.StringVar(&c.DefaultQueue, "default-queue", "default", "the queue of conversations whose subject names no queue; it always exists")
	fs.IntVar(&c.AgentCapacity, "agent-capacity", 3, "conversations an agent holds at once when its agentState names no capacity (at most 100)")
	fs.DurationVar(&c.PresenceGrace, "presence-grace", 30*time.Second, "how long a ready agent with no connection left stays ready before its conversations are queued again")
	fs.DurationVar(&c.MaxQueueWait, "max-queue-wait", 0, "end a conversation that waited this long for an agent (0: wait)")
	fs.DurationVar(&c.InactivityTimeout, "inactivity-timeout", 30*time.Minute, "end a queued or active conversation with no chat message for this long (0: never)")
}

// routing is the running routing of a node.
type routingParts struct {
	queues *routing.Queues
	board  *projections.Routing
	router *router.Router
}

// newRouting checks the routing configuration and builds its parts.
func newRouting(c RoutingConfig, store domain.EventStore, svc *conversations.Service, m *Main) (*routingParts, error) {
	queues, err := routing.NewQueues(splitList(c.Queues), c.DefaultQueue)
	if err != nil {
		return nil, fmt.Errorf("--queues/--default-queue: %w", err)
	}
	if c.AgentCapacity < 1 || c.AgentCapacity > routing.MaxCapacity {
		return nil, fmt.Errorf("--agent-capacity must be from 1 to %d, not %d", routing.MaxCapacity, c.AgentCapacity)
	}
	if c.PresenceGrace < 300*time.Millisecond {
		return nil, fmt.Errorf("--presence-grace must be at least 300ms, not %s", c.PresenceGrace)
	}
	if c.MaxQueueWait < 0 || c.InactivityTimeout < 0 {
		return nil, fmt.Errorf("--max-queue-wait and --inactivity-timeout must not be negative")
	}
	board := projections.NewRouting()
	r := router.New(router.Config{
		Store: store, Service: svc, Board: board, Queues: queues, Now: time.Now, NewID: uuid.NewString, Logger: m.Logger,
		PresenceGrace: c.PresenceGrace, MaxQueueWait: c.MaxQueueWait, InactivityTimeout: c.InactivityTimeout,
		DefaultCapacity: c.AgentCapacity,
	})
	return &routingParts{queues: queues, board: board, router: r}, nil
}

// attach connects routing to the websocket hub.
func (p *routingParts) attach(hub *ws.Hub) {
	p.router.SetLocal(hub.LocalAgents)
	hub.SetRouter(p.router, p.board)
	p.board.OnChange = func(e domain.RecordedEvent) {
		hub.Routed(e)
		p.router.Kick()
	}
}

// api returns routing's part of the REST API.
func (p *routingParts) api() *httpapi.RoutingConfig {
	return &httpapi.RoutingConfig{Enqueue: p.router.Enqueue, View: p.board, QueueNames: p.queues.Names()}
}

// catchUp folds into the routing board the history from after its own
// snapshot (from) up to the position the feed resumes after (to): the two
// snapshots are saved at the same events, so this is empty unless one of
// them was missing, refused or older. A board ahead of the feed is left as
// it is: the feed's events up to its position fold to nothing, since the
// board applies each stream revision once.
func (p *routingParts) catchUp(ctx context.Context, store domain.EventStore, from, to domain.After) error {
	return p.board.Fold(ctx, store, from, to)
}
