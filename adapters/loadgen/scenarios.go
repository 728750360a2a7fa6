package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runConnections opens cfg.Connections sockets (bare, or joined as
// customer-agent pairs with cfg.Join), holds them idle for cfg.Duration,
// and reports the server's memory growth per socket.
func runConnections(ctx context.Context, cfg Config, sys system, pids []int, prog *progress) (*Result, error) {
	s := newSink()
	res := &Result{System: sys.name(), Target: sys.base()}
	u := newUsage(pids...)
	before := u.rss()
	began := time.Now()
	var all []*conn
	var err error
	if cfg.Join {
		var rooms [][]*conn
		rooms, err = setupRooms(ctx, cfg, sys, cfg.Connections/2, 1, s, prog)
		for _, r := range rooms {
			all = append(all, r...)
		}
		res.Conversations = cfg.Connections / 2
	} else {
		all, err = openSockets(ctx, cfg, sys, s, prog)
	}
	defer closeAll(all)
	res.SetupSeconds = round(time.Since(began).Seconds(), 2)
	res.Connections = len(all)
	if res.SetupSeconds > 0 {
		res.Throughput = round(float64(len(all))/res.SetupSeconds, 1)
	}
	if err != nil {
		res.Interrupted = ctx.Err() != nil
		return res, fmt.Errorf("%s: connect: %w", sys.name(), err)
	}

	// Hold: the server's memory settles (buffers allocated on first use,
	// garbage collected) while the sockets stay idle.
	u.begin()
	if cfg.onWindow != nil {
		cfg.onWindow()
	}
	held := time.Now()
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	timer := time.NewTimer(cfg.Duration)
	defer timer.Stop()
hold:
	for {
		select {
		case <-ticker.C:
			u.peek()
			el := time.Since(held)
			prog.show(false, "%s holding %d sockets %s %4.1fs/%s", sys.name(), len(all), bar(el.Seconds(), cfg.Duration.Seconds()), el.Seconds(), cfg.Duration)
		case <-timer.C:
			break hold
		case <-ctx.Done():
			res.Interrupted = true
			break hold
		}
	}
	prog.done()
	u.end()
	res.WindowSeconds = round(time.Since(held).Seconds(), 3)
	res.fillUsage(u, firstPID(pids))
	if res.Server != nil && len(all) > 0 {
		res.PerConnectionKB = round((res.Server.RSSEndMB*1024-float64(before))/float64(len(all)), 2)
	}
	res.Errors, res.ErrorCodes = s.errorCount.Load(), s.errorCodes()
	return res, nil
}

// openSockets opens cfg.Connections bare sockets, cfg.Workers at a time.
func openSockets(ctx context.Context, cfg Config, sys system, s *sink, prog *progress) ([]*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer cancel()
	conns := make([]*conn, cfg.Connections)
	var next, done atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(cfg.Workers, cfg.Connections) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(conns) || ctx.Err() != nil {
					return
				}
				c, err := sys.socket(ctx, s)
				if err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
				conns[i] = c
				n := done.Add(1)
				prog.show(false, "%s connecting %s %d/%d", sys.name(), bar(float64(n), float64(len(conns))), n, len(conns))
			}
		})
	}
	wg.Wait()
	prog.done()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return out, first
}

// runInit starts conversations with cfg.Workers clients, each starting the
// next as soon as the last is answered, and measures each request's round
// trip.
func runInit(ctx context.Context, cfg Config, sys system, pids []int, prog *progress) (*Result, error) {
	s := newSink()
	res := &Result{System: sys.name(), Target: sys.base(), Connections: cfg.Workers}
	u := newUsage(pids...)
	var budget atomic.Int64
	budget.Store(cfg.Messages)
	stop := make(chan struct{})
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				t := now()
				measured := s.measuring(t)
				if measured && cfg.Messages > 0 && budget.Add(-1) < 0 {
					return
				}
				s.sentOne(measured, 1)
				// A request of this run may outlive the window, never the run.
				rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := sys.start(rctx, int(seq.Add(1)))
				cancel()
				if err != nil {
					var se *statusError
					if errors.As(err, &se) {
						s.fail(se.code())
					} else {
						s.fail("request_failed")
					}
					continue
				}
				s.handle(w, received{kind: kindArrived, stamp: t, measured: measured})
			}
		})
	}
	var ph phase
	if !sleepCtx(ctx, cfg.Warmup) {
		ph.interrupted = true
		s.stop()
	} else {
		ph = measureFor(ctx, cfg, s, u, func(el time.Duration) {
			prog.show(false, "%s init %s %4.1fs/%s  %d started (%.0f/s)  errors %d", sys.name(), bar(el.Seconds(), cfg.Duration.Seconds()),
				el.Seconds(), cfg.Duration, s.delivered.Load(), float64(s.arrivedInWindow.Load())/max(el.Seconds(), 0.001), s.errorCount.Load())
		}, func() bool { return cfg.Messages > 0 && budget.Load() <= 0 })
	}
	close(stop)
	wg.Wait()
	prog.done()
	res.WindowSeconds = round(ph.window.Seconds(), 3)
	res.Interrupted = ph.interrupted
	fillMessages(res, s)
	res.AckLatency, res.SendLag = nil, nil
	res.fillUsage(u, firstPID(pids))
	return res, nil
}

// measureFor opens the window, waits for cfg.Duration, ctx or finished,
// and closes it.
func measureFor(ctx context.Context, cfg Config, s *sink, u *usage, tick func(time.Duration), finished func() bool) phase {
	s.start()
	u.begin()
	if cfg.onWindow != nil {
		cfg.onWindow()
	}
	began := time.Now()
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	timer := time.NewTimer(cfg.Duration)
	defer timer.Stop()
	var ph phase
	for !finished() {
		select {
		case <-ticker.C:
			u.peek()
			tick(time.Since(began))
			continue
		case <-timer.C:
		case <-ctx.Done():
			ph.interrupted = true
		}
		break
	}
	s.stop()
	u.end()
	ph.window = time.Since(began)
	return ph
}

// runID names one run's requests, so that init's idempotency never folds
// two runs' conversations into one.
func runID() string { return strconv.FormatInt(time.Now().UnixNano(), 36) }
