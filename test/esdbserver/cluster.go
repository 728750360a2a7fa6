package esdbserver

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Cluster is several nodes over one log, as a cluster whose replication
// never lags: one node is the leader, the others followers. Each answers
// Gossip.Read with every member's state; a follower refuses appends with
// "not leader" and the leader's address, as a node asked to require the
// leader does, so a client follows the leader. Killing the leader and
// electing another is on demand (KillLeader).
type Cluster struct {
	Nodes []*Server

	mu     sync.Mutex
	leader int
}

// StartCluster starts n nodes on free loopback ports sharing one log, the
// first of them the leader.
func StartCluster(n int, opts ...Option) (*Cluster, error) {
	c := &Cluster{}
	for i := range n {
		s, err := Start("127.0.0.1:0", opts...)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		if i > 0 {
			s.db = c.Nodes[0].db
		}
		s.cluster, s.member = c, i
		c.Nodes = append(c.Nodes, s)
	}
	return c, nil
}

// URL returns a connection string naming every node, which switches the
// official client to cluster mode (gossip) with the leader preferred.
func (c *Cluster) URL() string {
	hosts := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		hosts[i] = strings.TrimPrefix(strings.TrimSuffix(s.URL(), "?tls=false"), "esdb://")
	}
	return "esdb://" + strings.Join(hosts, ",") + "?tls=false&nodepreference=leader"
}

// Leader returns the index of the leader.
func (c *Cluster) Leader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

// KillLeader kills the leader, as a crash would, and makes the next live
// node the leader; every other node drops its subscriptions, as a leader
// change does. It returns the new leader's index.
func (c *Cluster) KillLeader() int {
	c.mu.Lock()
	old := c.leader
	next := old
	for k := 1; k < len(c.Nodes); k++ {
		if i := (old + k) % len(c.Nodes); c.Nodes[i].serving() {
			next = i
			break
		}
	}
	c.leader = next
	c.mu.Unlock()
	c.Nodes[old].Kill()
	for i, s := range c.Nodes {
		if i != old {
			s.DropSubscriptions()
		}
	}
	return next
}

// Close closes every node.
func (c *Cluster) Close() error {
	var errs []error
	for _, s := range c.Nodes {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// serving reports whether the node answers calls (not killed or closed).
func (s *Server) serving() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gs != nil && !s.closed
}

// notLeader refuses an append on a follower with the leader's address in
// the trailers the client reads to reconnect; nil on the leader and on a
// node outside a cluster.
func (s *Server) notLeader(stream grpc.ServerStream) error {
	if s.cluster == nil {
		return nil
	}
	leader := s.cluster.Leader()
	if leader == s.member {
		return nil
	}
	host, port, _ := net.SplitHostPort(s.cluster.Nodes[leader].addr)
	stream.SetTrailer(metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port))
	return status.Error(codes.NotFound, "Leader info available")
}

// gossipService answers Gossip.Read with the members' states.
type gossipService struct {
	gossip.UnimplementedGossipServer
	server *Server
}

func (g gossipService) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	s := g.server
	nodes, leader := []*Server{s}, 0
	if s.cluster != nil {
		nodes, leader = s.cluster.Nodes, s.cluster.Leader()
	}
	info := &gossip.ClusterInfo{}
	for i, n := range nodes {
		host, port, _ := net.SplitHostPort(n.addr)
		p, _ := strconv.ParseUint(port, 10, 32)
		state := gossip.MemberInfo_Follower
		if i == leader {
			state = gossip.MemberInfo_Leader
		}
		info.Members = append(info.Members, &gossip.MemberInfo{
			InstanceId: &shared.UUID{Value: &shared.UUID_String_{String_: "node-" + strconv.Itoa(i)}},
			TimeStamp:  time.Now().UnixNano(), State: state, IsAlive: n.serving(),
			HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(p)},
		})
	}
	return info, nil
}
