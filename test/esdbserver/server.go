package esdbserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// Server is a running in-memory EventStoreDB-compatible node.
type Server struct {
	db  *db
	cfg config

	refused atomic.Int64 // reads and subscriptions refused for a position inside a record

	mu     sync.Mutex
	addr   string // host:port, kept across Kill and Revive
	gs     *grpc.Server
	gen    *generation
	closed bool

	// cluster and member place the node in a Cluster; nil for a single node.
	cluster *Cluster
	member  int
}

// generation groups the subscriptions opened between two drops; ending it
// ends them all with err.
type generation struct {
	done chan struct{}
	err  error
}

func newGeneration() *generation { return &generation{done: make(chan struct{})} }

type config struct {
	version       string
	systemEvents  bool
	maxAppendSize int
	liveBuffer    int // live events a subscription holds before it falls behind
	idCacheBytes  int // budget of the cache of recent event ids
	now           func() time.Time
}

// Option configures a Server.
type Option func(*config)

// WithSystemEvents seeds, at start, events a real node's $all would hold
// and adapters must skip: a "$settings" event in stream "$settings", a
// "$metadata" event in stream "$$seed" and a link event (type "$>") in
// stream "seed-links".
func WithSystemEvents() Option { return func(c *config) { c.systemEvents = true } }

// WithMaxAppendSize changes the append size limit (DefaultMaxAppendSize).
func WithMaxAppendSize(n int) Option { return func(c *config) { c.maxAppendSize = n } }

// DefaultLiveBuffer is how many live events a subscription on the real node
// holds for a client that reads slower than events arrive (the bounded
// channel of its subscription enumerators); beyond it, the subscription
// falls behind, reads from the log instead, and sends caught_up again when
// it is back.
const DefaultLiveBuffer = 32

// WithLiveBuffer changes DefaultLiveBuffer, the number of events that may
// arrive at once before a live subscription falls behind.
func WithLiveBuffer(n int) Option { return func(c *config) { c.liveBuffer = n } }

// WithClock sets the clock that stamps events' "created" time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves until
// Close. The server is ready when Start returns.
func Start(addr string, opts ...Option) (*Server, error) {
	cfg := config{version: Version24_10_0, maxAppendSize: DefaultMaxAppendSize, now: time.Now,
		liveBuffer: DefaultLiveBuffer, idCacheBytes: DefaultIDCacheBytes}
	for _, o := range opts {
		o(&cfg)
	}
	if err := checkVersion(cfg.version); err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("esdbserver: listen on %s: %w", addr, err)
	}
	s := &Server{db: newDB(), cfg: cfg, addr: lis.Addr().String(), gen: newGeneration()}
	s.db.now = cfg.now
	s.db.ids = newIDCache(cfg.idCacheBytes)
	if cfg.systemEvents {
		s.seed()
	}
	s.serve(lis)
	return s, nil
}

func (s *Server) serve(lis net.Listener) {
	gs := grpc.NewServer(
		// The client pings every 10 s even without calls; grpc-go's default
		// policy (5 min) answers with GOAWAY and kills idle subscriptions.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 10 * time.Second, Timeout: 10 * time.Second}),
		// The real node accepts messages up to its maximum log record size.
		grpc.MaxRecvMsgSize(maxRecordSize),
	)
	api.RegisterStreamsServer(gs, &streamsService{server: s})
	serverfeatures.RegisterServerFeaturesServer(gs, featuresService{version: s.cfg.reportedVersion()})
	gossip.RegisterGossipServer(gs, gossipService{server: s})
	s.gs = gs
	go func() { _ = gs.Serve(lis) }()
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// URL returns a connection string for the official client.
func (s *Server) URL() string {
	host, port, err := net.SplitHostPort(s.addr)
	if err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		return "esdb://" + net.JoinHostPort(host, port) + "?tls=false"
	}
	return "esdb://" + s.addr + "?tls=false"
}

// RefusedPositions counts the reads and subscriptions of $all refused so
// far because they started inside a record. A client that only ever sends
// positions of events keeps it at zero.
func (s *Server) RefusedPositions() int64 { return s.refused.Load() }

// DropSubscriptions ends every open subscription with status Unavailable,
// as a node restart or a leader change would; appends and reads go on.
func (s *Server) DropSubscriptions() {
	s.endGeneration(status.Error(codes.Unavailable, "subscription dropped by the server"))
}

// Kill stops serving abruptly, like a crashed node: every connection is
// closed and new ones are refused. The data is kept for Revive.
func (s *Server) Kill() {
	s.endGeneration(status.Error(codes.Unavailable, "server is shutting down"))
	s.mu.Lock()
	gs := s.gs
	s.gs = nil
	s.mu.Unlock()
	if gs != nil {
		gs.Stop()
	}
}

// Revive serves the same data again on the same address after Kill.
func (s *Server) Revive() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("esdbserver: revive a closed server")
	}
	if s.gs != nil {
		return nil
	}
	lis, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("esdbserver: listen again on %s: %w", s.addr, err)
	}
	s.serve(lis)
	return nil
}

// Close ends every call and stops the server for good.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	gs := s.gs
	s.gs = nil
	s.mu.Unlock()
	s.endGeneration(status.Error(codes.Unavailable, "server is shutting down"))
	if gs == nil {
		return nil
	}
	// Subscriptions end with their generation, so a graceful stop only waits
	// for short calls; a client stuck mid-append must not hang Close.
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		gs.Stop()
	}
	return nil
}

func (s *Server) generation() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

func (s *Server) endGeneration(err error) {
	s.mu.Lock()
	g := s.gen
	s.gen = newGeneration()
	s.mu.Unlock()
	g.err = err
	close(g.done)
}

// available fails calls that arrive while the server is closing or whose
// caller has gone.
func (s *Server) available(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return status.Error(codes.Unavailable, "server is shutting down")
	}
	return nil
}

// streamsService implements the Streams service; Delete and BatchAppend
// (never called by the v4 client) stay unimplemented.
type streamsService struct {
	api.UnimplementedStreamsServer
	server *Server
}

// featuresService reports the node's version, so the client's discovery
// succeeds with a version it can parse.
type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
	version string
}

// maxRecordSize is the real node's largest log record (16 MiB).
const maxRecordSize = 16 << 20

// ServerVersion is what the server reports through ServerFeatures unless
// WithServerVersion says otherwise.
const ServerVersion = Version24_10_0
