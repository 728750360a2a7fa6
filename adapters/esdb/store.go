// Package esdb implements domain.EventStore on EventStoreDB (KurrentDB),
// through the official gRPC client.
//
// Positions are EventStoreDB commit positions: byte offsets in its
// transaction log, strictly increasing but not contiguous. Reads and
// subscriptions of all streams start after 0 or a position the store
// returned, and the adapter only ever sends the node such positions: the
// node refuses one inside a record (a plain read with status Unknown, a
// subscription with InvalidArgument), which the adapter reports as
// CodeInvalid.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/domain"
)

var _ domain.EventStore = (*Store)(nil)

// Store is a domain.EventStore backed by EventStoreDB. It is safe for
// concurrent use.
type Store struct {
	cfg esdb.Configuration // template for a new client after the current one dies
	log *slog.Logger
	opt options

	mu     sync.Mutex
	cur    *conn
	closed bool
}

type options struct {
	backoffMin, backoffMax time.Duration
	pingTimeout            time.Duration
	maxAppendSize          int // the node's --max-append-size
}

// Option tunes a Store.
type Option func(*options)

// WithBackoff sets the delays between resubscription attempts after a
// subscription drops: the first is min, each next one doubles up to max.
func WithBackoff(min, max time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax = min, max }
}

// Open returns a Store for connectionString, in any form the official
// client accepts ("esdb://host:2113?tls=false", "esdb+discover://…", with
// credentials and certificates), plus Parley's own maxAppendSize setting:
// the node's --max-append-size in bytes (DefaultMaxAppendSize when absent),
// which tells a refused over-size append from a dropped connection. It
// checks that the store answers within ctx and fails with an error wrapping
// domain.ErrUnavailable if not. A nil logger discards the logs.
func Open(ctx context.Context, connectionString string, logger *slog.Logger, opts ...Option) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	connectionString, maxAppend, err := takeMaxAppendSize(connectionString)
	if err != nil {
		return nil, err
	}
	cfg, err := esdb.ParseConnectionString(connectionString)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInvalid, Message: "invalid EventStoreDB connection string", Err: err}
	}
	cfg.Logger = clientLogger(logger)
	s := &Store{
		cfg: *cfg,
		log: logger,
		opt: options{backoffMin: 100 * time.Millisecond, backoffMax: 5 * time.Second, pingTimeout: 5 * time.Second,
			maxAppendSize: DefaultMaxAppendSize},
	}
	if maxAppend > 0 {
		s.opt.maxAppendSize = maxAppend
	}
	for _, o := range opts {
		o(&s.opt)
	}
	if s.cur, err = s.newConn(); err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.shutdown()
		return nil, err
	}
	return s, nil
}

// clientLogger routes the client's logs to slog at debug level. Every
// failure the client logs also reaches the store as an error, which it
// returns or logs itself; at a higher level the client's own lines (it logs
// each cancelled subscription as an error) would only be noise.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		l.Debug("eventstoredb client: "+fmt.Sprintf(format, args...), "level", level)
	}
}

var errClosed = fmt.Errorf("esdb: store is closed: %w", domain.ErrUnavailable)

// Ping reads a stream that need not exist: a not-found answer proves the
// node serves reads, needs no admin rights (unlike reading $all) and costs
// almost nothing. Without a deadline on ctx it waits at most 5 s.
func (s *Store) Ping(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opt.pingTimeout)
		defer cancel()
	}
	_, err := s.readStream(ctx, "parley-ping", esdb.ReadStreamOptions{}, 1)
	if err == nil || errors.Is(err, domain.ErrStreamNotFound) {
		return nil
	}
	return err
}

// Close waits for in-flight calls (appends included) for up to 10 s, then
// closes the client. Later calls fail with an error wrapping
// domain.ErrUnavailable; running subscriptions return one too.
func (s *Store) Close() error {
	cn := s.shutdown()
	if cn == nil {
		return nil
	}
	select {
	case <-cn.idle:
	case <-time.After(10 * time.Second):
		// Closing under a stuck call would race with it inside the client.
		s.log.Warn("eventstoredb: calls still running at close; leaving the client open")
	}
	return nil
}

// shutdown refuses new calls and lets the client close once the running
// ones are done; it returns the client, or nil if already shut down.
func (s *Store) shutdown() *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.cur.retire(false)
	return s.cur
}
