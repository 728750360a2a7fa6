package loadgen

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
)

// targets are the base URLs the run drives: Targets when given, else
// Target alone.
func (c Config) targets() []string {
	if len(c.Targets) > 0 {
		return c.Targets
	}
	return []string{c.Target}
}

// nodes is several Parley nodes sharing one store, driven as one system.
// Conversation i is started on node i mod n, where its customer connects;
// its agents connect to the nodes after it, so with two or more nodes every
// delivery is read from the store by a node other than the sender's: the
// cross-node path, whose CPU and latency are what several nodes cost.
type nodes struct {
	ps   []*parley
	next atomic.Int64 // round-robin for bare sockets and inits
}

// newNodes builds the system over resolved targets ts; each node keeps its
// own HTTP client and the run's id, so init ids stay unique across nodes.
func newNodes(ts []target, apiKey, run string, workers int) *nodes {
	n := &nodes{}
	for _, t := range ts {
		n.ps = append(n.ps, &parley{t: t, apiKey: apiKey, run: run, http: httpClient(workers)})
	}
	for _, p := range n.ps {
		p.agentWS = n.agentWS
	}
	return n
}

// agentWS is where agent j of conversation i connects: the node after the
// conversation's own (node i mod n), and the ones after that for more agents.
func (n *nodes) agentWS(i, j int) string {
	return n.ps[(i+1+j)%len(n.ps)].t.ws
}

func (n *nodes) name() string { return "parley" }

func (n *nodes) base() string {
	bases := make([]string, len(n.ps))
	for k, p := range n.ps {
		bases[k] = p.t.base
	}
	return strings.Join(bases, ",")
}

func (n *nodes) conversation(ctx context.Context, i, agents int, s *sink, inFlight int) (*conn, []*conn, error) {
	return n.ps[i%len(n.ps)].conversation(ctx, i, agents, s, inFlight)
}

func (n *nodes) socket(ctx context.Context, s *sink) (*conn, error) {
	return n.pick().socket(ctx, s)
}

func (n *nodes) start(ctx context.Context, i int) error {
	return n.ps[i%len(n.ps)].start(ctx, i)
}

func (n *nodes) pick() *parley { return n.ps[int(n.next.Add(1)-1)%len(n.ps)] }

// nodePIDs finds each local node's process by its listening port; a node
// not found is reported in the notes, and its CPU is missing from the sum.
func nodePIDs(ts []target) (pids []int, notes []string) {
	for _, t := range ts {
		pid := 0
		if t.local {
			pid = findListener(t.port)
		}
		if pid == 0 {
			notes = append(notes, fmt.Sprintf("the process of %s was not found: the server CPU leaves it out", t.base))
			continue
		}
		pids = append(pids, pid)
	}
	return pids, notes
}

// firstPID is the one server process of a single-node run (0: unknown).
func firstPID(pids []int) int {
	if len(pids) == 0 {
		return 0
	}
	return pids[0]
}
