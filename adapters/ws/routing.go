package ws

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/router"
	"github.com/parley-chat/parley/projections"
)

// Routing frames.
const (
	EventAgentState             = "agentState"
	EventConversationAssigned   = "conversationAssigned"
	EventConversationUnassigned = "conversationUnassigned"
	EventWatchQueues            = "watchQueues"
	EventQueueUpdated           = "queueUpdated"
)

// routingEdge is the hub's part in routing: which staff members have
// connections here, and which supervisors watch the queues.
type routingEdge struct {
	router *router.Router
	board  *projections.Routing

	mu sync.Mutex
	// staff are the connections of each staff member by participant id:
	// those of staff keys from the start, and those that sent agentState.
	staff map[string]map[*client]struct{}
	// agents are the connections that sent agentState, by agent id.
	agents   map[string]map[*client]struct{}
	agentOf  map[*client]string
	watchers map[*client][]byte // the last figures sent, by watcher
	last     map[string][]byte  // the last figures of each queue
}

// SetRouter turns routing on: agentState, handOff transfers,
// participantAdded joins and watchQueues. It must be called before serving.
func (h *Hub) SetRouter(r *router.Router, board *projections.Routing) {
	h.rt = &routingEdge{router: r, board: board, staff: map[string]map[*client]struct{}{},
		agents: map[string]map[*client]struct{}{}, agentOf: map[*client]string{}, watchers: map[*client][]byte{}, last: map[string][]byte{}}
	go h.watchLoop()
}

// LocalAgents returns the agents with a connection that sent agentState on
// this process: the router renews their presence leases.
func (h *Hub) LocalAgents() []string {
	if h.rt == nil {
		return nil
	}
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	out := make([]string, 0, len(h.rt.agents))
	for id := range h.rt.agents {
		out = append(out, id)
	}
	return out
}

func addConn(m map[string]map[*client]struct{}, id string, c *client) {
	if m[id] == nil {
		m[id] = map[*client]struct{}{}
	}
	m[id][c] = struct{}{}
}

// routingConnect registers a staff key's connection under the key's name:
// every connection of an agent's key keeps its presence, so an agent that
// reconnects within the grace stays ready.
func (h *Hub) routingConnect(c *client) {
	if h.rt == nil || !c.principal.IsStaff() || c.principal.Unchecked || c.principal.Name == "" {
		return
	}
	h.rt.mu.Lock()
	addConn(h.rt.staff, c.principal.Name, c)
	addConn(h.rt.agents, c.principal.Name, c)
	h.rt.agentOf[c] = c.principal.Name
	h.rt.mu.Unlock()
}

// routingDisconnect forgets a closed connection; when it was the last of a
// ready agent here, the agent's lease runs out one grace from now.
func (h *Hub) routingDisconnect(c *client) {
	if h.rt == nil {
		return
	}
	h.rt.mu.Lock()
	for id, conns := range h.rt.staff {
		delete(conns, c)
		if len(conns) == 0 {
			delete(h.rt.staff, id)
		}
	}
	delete(h.rt.watchers, c)
	agent, isAgent := h.rt.agentOf[c]
	last := false
	if isAgent {
		delete(h.rt.agentOf, c)
		delete(h.rt.agents[agent], c)
		if len(h.rt.agents[agent]) == 0 {
			delete(h.rt.agents, agent)
			last = true
		}
	}
	h.rt.mu.Unlock()
	if last {
		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CommandTimeout)
		h.rt.router.Disconnected(ctx, agent)
		cancel()
	}
}

// agentStateData is the data of agentState.
type agentStateData struct {
	State    string    `json:"state"`
	Queues   *[]string `json:"queues"`
	Capacity int       `json:"capacity"`
	// ID is the agent id when authentication is off.
	ID string `json:"id"`
}

func (h *Hub) agentState(ctx context.Context, c *client, f frame) error {
	if h.rt == nil {
		return domain.FieldError(domain.CodeUnknownEvent, "event", "routing is off")
	}
	var d agentStateData
	if err := decodeData(f.Data, &d); err != nil {
		return err
	}
	id := c.principal.Name
	switch {
	case c.principal.Unchecked:
		id = d.ID
		if id == "" {
			return domain.FieldError(domain.CodeInvalid, "id", "id is required with authentication off")
		}
	case !c.principal.IsStaff():
		return domain.Errorf(domain.CodeForbidden, "only agents, bots and supervisors send agentState")
	}
	var queues []string
	if d.Queues != nil {
		if len(*d.Queues) == 0 {
			return domain.FieldError(domain.CodeInvalid, "queues", "queues must name at least one queue; leave it out for every queue")
		}
		queues = append([]string{}, *d.Queues...)
	}
	view, err := h.rt.router.SetState(ctx, id, d.State, queues, d.Capacity)
	if err != nil {
		return err
	}
	h.rt.mu.Lock()
	if prev, ok := h.rt.agentOf[c]; ok && prev != id {
		delete(h.rt.agents[prev], c)
	}
	h.rt.agentOf[c] = id
	addConn(h.rt.agents, id, c)
	addConn(h.rt.staff, id, c)
	h.rt.mu.Unlock()
	c.ack(f.Ack, view)
	return nil
}

// handOff stores a staff member's handOff and transfers the conversation:
// a bad queue or an unavailable agent is refused before anything is stored.
func (h *Hub) handOff(ctx context.Context, c *client, m *member, msg domain.Message, ack json.RawMessage, meta domain.Metadata) error {
	plan, err := h.rt.router.PrepareHandOff(m.conv, m.who.ID, msg.Info)
	if err != nil {
		return err
	}
	res, err := h.svc.Execute(ctx, m.conv, domain.PostMessage{Message: msg}, meta)
	if err != nil {
		return err
	}
	if !res.Duplicate {
		if err := h.rt.router.Transfer(ctx, plan); err != nil {
			return err
		}
	}
	c.ack(ack, res.Events[len(res.Events)-1].Event)
	return nil
}

// staffConns returns the connections of staff member id here.
func (h *Hub) staffConns(id string) []*client {
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	out := make([]*client, 0, len(h.rt.staff[id]))
	for c := range h.rt.staff[id] {
		out = append(out, c)
	}
	return out
}
