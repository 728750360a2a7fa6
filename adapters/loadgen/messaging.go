package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// runMessaging runs the chat, fanout or echo scenario against sys: it
// starts the conversations, runs the load, and closes every socket.
func runMessaging(ctx context.Context, cfg Config, sys system, pids []int, prog *progress) (*Result, error) {
	s := newSink()
	convs, agents := cfg.Conversations, 1
	if cfg.Scenario == ScenarioFanout {
		convs, agents = 1, cfg.Agents
	}
	res := &Result{System: sys.name(), Target: sys.base(), Conversations: convs}
	began := time.Now()
	rooms, err := setupRooms(ctx, cfg, sys, convs, agents, s, prog)
	res.SetupSeconds = round(time.Since(began).Seconds(), 2)
	var all []*conn
	for _, r := range rooms {
		all = append(all, r...)
	}
	defer closeAll(all)
	res.Connections = len(all)
	if err != nil {
		res.Interrupted = ctx.Err() != nil
		return res, fmt.Errorf("%s: start conversations: %w", sys.name(), err)
	}

	var senders []sender
	for _, r := range rooms {
		n := len(r)
		if cfg.Scenario == ScenarioFanout {
			n = cfg.Senders
		}
		for _, c := range r[:n] {
			senders = append(senders, sender{c: c, receivers: len(r) - 1})
		}
	}
	res.Senders = len(senders)
	u := newUsage(pids...)
	p := plan{senders: senders, rate: cfg.Rate, inFlight: cfg.InFlight, text: messageText(cfg.TextBytes),
		warmup: cfg.Warmup, duration: cfg.Duration, messages: cfg.Messages, drain: cfg.Drain,
		opened: func() {
			u.begin()
			if cfg.onWindow != nil {
				cfg.onWindow()
			}
		}, closed: u.end}
	ph := runLoad(ctx, p, s, func(elapsed time.Duration) {
		u.peek()
		got := s.arrivedInWindow.Load()
		prog.show(false, "%s %s %4.1fs/%s  sent %d  delivered %d (%.0f/s)  errors %d", sys.name(),
			bar(elapsed.Seconds(), cfg.Duration.Seconds()), elapsed.Seconds(), cfg.Duration, s.sent.Load(), got,
			float64(got)/max(elapsed.Seconds(), 0.001), s.errorCount.Load())
	})
	prog.done()
	res.WindowSeconds = round(ph.window.Seconds(), 3)
	res.Interrupted, res.StuckSenders = ph.interrupted, ph.stuck
	fillMessages(res, s)
	res.fillUsage(u, firstPID(pids))
	return res, nil
}

// fillMessages copies the sink's counts and percentiles into res.
func fillMessages(res *Result, s *sink) {
	res.Sent, res.Expected, res.Delivered, res.Acked = s.sent.Load(), s.expected.Load(), s.delivered.Load(), s.acked.Load()
	res.Lost = max(res.Expected-res.Delivered, 0)
	res.Errors, res.ErrorCodes = s.errorCount.Load(), s.errorCodes()
	if res.WindowSeconds > 0 {
		res.Throughput = round(float64(s.arrivedInWindow.Load())/res.WindowSeconds, 1)
		res.SendRate = round(float64(res.Sent)/res.WindowSeconds, 1)
	}
	res.Latency = percentiles(s.arrival.merged())
	ack, lag := percentiles(s.ack.merged()), percentiles(s.lag.merged())
	res.AckLatency = &ack
	if lag.Count > 0 {
		res.SendLag = &lag
	}
}

// setupRooms starts convs conversations with cfg.Workers at once, each with
// a customer and agents, and returns their sockets (customer first). On an
// error it returns what it connected, for the caller to close.
func setupRooms(ctx context.Context, cfg Config, sys system, convs, agents int, s *sink, prog *progress) ([][]*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer cancel()
	rooms := make([][]*conn, convs)
	var next, done atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(cfg.Workers, convs) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= convs || ctx.Err() != nil {
					return
				}
				customer, staff, err := sys.conversation(ctx, i, agents, s, cfg.InFlight)
				if err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
				rooms[i] = append([]*conn{customer}, staff...)
				n := done.Add(1)
				prog.show(false, "%s setup %s %d/%d conversations", sys.name(), bar(float64(n), float64(convs)), n, convs)
			}
		})
	}
	wg.Wait()
	prog.done()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return rooms, first
}
