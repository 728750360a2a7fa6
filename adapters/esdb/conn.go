package esdb

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/domain"
)

// conn is one client and the calls using it.
//
// The official client has failure modes a long-running service must
// survive: it gives up for good when a rediscovery fails (every later call
// fails at once with ErrorCodeConnectionClosed); a call already inside it at
// that moment can block for good, ignoring its context (it reports to a loop
// that has exited); and closing it under such a call is a data race and a
// panic in that call. So the store replaces a dead client, never lets a
// caller wait on the client alone, and never closes a dead client: closing
// it would free nothing, since its loop exited without closing its
// connection.
type conn struct {
	client *esdb.Client
	dead   chan struct{} // closed when replaced because it died
	idle   chan struct{} // closed when the client is closed

	mu      sync.Mutex
	users   int
	retired bool
	broken  bool
	once    sync.Once
}

// use registers a call; it fails once the client is retired.
func (c *conn) use() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retired {
		return false
	}
	c.users++
	return true
}

func (s *Store) newConn() (*conn, error) {
	cfg := s.cfg
	c, err := esdb.NewClient(&cfg)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInvalid, Message: "invalid EventStoreDB configuration", Err: err}
	}
	return &conn{client: c, dead: make(chan struct{}), idle: make(chan struct{})}, nil
}

func (c *conn) release() {
	c.mu.Lock()
	c.users--
	last := c.retired && !c.broken && c.users == 0
	c.mu.Unlock()
	if last {
		c.shut()
	}
}

// retire takes the client out of use. A healthy one is closed once its
// calls are done; a broken one (it died) releases whoever waits on it.
func (c *conn) retire(broken bool) {
	c.mu.Lock()
	c.retired, c.broken = true, broken
	unused := c.users == 0
	c.mu.Unlock()
	if broken {
		close(c.dead)
		return
	}
	if unused {
		c.shut()
	}
}

func (c *conn) shut() {
	c.once.Do(func() {
		_ = c.client.Close()
		close(c.idle)
	})
}

// acquire returns the current client, registered as used until release.
func (s *Store) acquire() (*conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.cur.use() {
		return nil, errClosed
	}
	return s.cur, nil
}

// replace swaps a dead client for a new one, unless that already happened.
func (s *Store) replace(old *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.cur != old {
		return
	}
	fresh, err := s.newConn()
	if err != nil {
		s.log.Error("eventstoredb: cannot create a new client", "err", err)
		return
	}
	s.cur = fresh
	old.retire(true)
	s.log.Warn("eventstoredb: the client gave up reconnecting; replaced it")
}

// probe finds out, off the caller's path, whether a client gave up: only a
// new call learns of it. A probe that enters the client while a doomed
// rediscovery runs blocks for good like any call; the next one, a tick
// later, gets the answer at once.
func (s *Store) probe(cn *conn) {
	if !cn.use() {
		return
	}
	go func() {
		defer cn.release()
		if _, err := cn.client.GetServerVersion(); isConnectionClosed(err) {
			s.replace(cn)
		}
	}()
}

// probeEvery is how often a long call checks that its client still lives.
const probeEvery = time.Second

// call runs f with the current client and returns when f does, when ctx
// ends or when the client is found dead. A client that was already dead
// sent nothing, so f is retried once on its replacement.
func call[T any](ctx context.Context, s *Store, f func(ctx context.Context, c *esdb.Client) (T, error)) (T, error) {
	var zero T
	type result struct {
		v   T
		err error
	}
	for attempt := 0; ; attempt++ {
		cn, err := s.acquire()
		if err != nil {
			return zero, err
		}
		done := make(chan result, 1)
		go func() {
			defer cn.release()
			defer func() {
				// The client panics on replies it does not expect; a
				// misbehaving node must not take the service down.
				if p := recover(); p != nil {
					done <- result{err: fmt.Errorf("esdb: the client failed: %v", p)}
				}
			}()
			v, err := f(ctx, cn.client)
			done <- result{v, err}
		}()
		var r result
		if r, err = waitFor(ctx, s, cn, done); err != nil {
			return zero, err
		}
		if r.err != nil && isConnectionClosed(r.err) {
			s.replace(cn)
			if attempt == 0 {
				continue
			}
		}
		return r.v, r.err
	}
}

func waitFor[R any](ctx context.Context, s *Store, cn *conn, done <-chan R) (R, error) {
	var zero R
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			return r, nil
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-cn.dead:
			return zero, fmt.Errorf("esdb: the client died during the call: %w", domain.ErrUnavailable)
		case <-tick.C:
			s.probe(cn)
		}
	}
}
