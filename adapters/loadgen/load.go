package loadgen

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// sender is a socket that sends messages, and how many other sockets
// receive each of them.
type sender struct {
	c         *conn
	receivers int
}

// plan is the load of one measured phase.
type plan struct {
	senders  []sender
	rate     float64 // messages per second over all senders; 0 for closed loop
	inFlight int
	text     string
	warmup   time.Duration
	duration time.Duration
	messages int64 // measured messages to send; 0 for no bound
	drain    time.Duration
	// opened and closed, when set, are called as the window opens and
	// closes, to sample the processes' CPU and memory at its edges.
	opened, closed func()
}

// phase is how a measured phase went.
type phase struct {
	window      time.Duration // the measured window
	interrupted bool
	stuck       int // senders that did not stop and whose socket was closed under them
}

// runLoad sends messages by p until the window closes (duration, message
// count, or ctx), then waits up to p.drain for those still on their way.
// tick is called about five times a second with the time spent measuring.
func runLoad(ctx context.Context, p plan, s *sink, tick func(elapsed time.Duration)) phase {
	stop := make(chan struct{})
	exhausted := make(chan struct{})
	var budget atomic.Int64
	budget.Store(p.messages)
	var once sync.Once
	take := func() bool {
		if p.messages == 0 {
			return true
		}
		left := budget.Add(-1)
		if left == 0 {
			once.Do(func() { close(exhausted) })
		}
		return left >= 0
	}
	start := now()
	var wg sync.WaitGroup
	for i, snd := range p.senders {
		wg.Go(func() {
			if p.rate > 0 {
				openLoop(snd, s, p, start, i, stop, take)
			} else {
				closedLoop(snd, s, p.text, stop, take)
			}
		})
	}

	var res phase
	if !sleepCtx(ctx, p.warmup) {
		res.interrupted = true
	} else {
		s.start()
		if p.opened != nil {
			p.opened()
		}
		began := time.Now()
		deadline := time.NewTimer(p.duration)
		ticker := time.NewTicker(200 * time.Millisecond)
	measuring:
		for {
			select {
			case <-ticker.C:
				if tick != nil {
					tick(time.Since(began))
				}
			case <-deadline.C:
				break measuring
			case <-exhausted:
				break measuring
			case <-ctx.Done():
				res.interrupted = true
				break measuring
			}
		}
		ticker.Stop()
		deadline.Stop()
	}
	s.stop()
	if p.closed != nil && s.from.Load() != math.MaxInt64 {
		p.closed()
	}
	close(stop)
	if s.from.Load() != math.MaxInt64 {
		res.window = time.Duration(s.until.Load() - s.from.Load())
	}
	res.stuck = waitSenders(&wg, p.senders)

	// Drain: give the messages on their way time to arrive, so that a slow
	// tail is measured rather than cut off.
	deadline := time.Now().Add(p.drain)
	for time.Now().Before(deadline) && s.delivered.Load() < s.expected.Load() {
		time.Sleep(10 * time.Millisecond)
	}
	return res
}

// waitSenders waits for the senders to return. One blocked in a write (a
// server that stopped reading) is freed by closing its socket, so that the
// run still ends; it returns how many had to be.
func waitSenders(wg *sync.WaitGroup, senders []sender) int {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return 0
	case <-time.After(5 * time.Second):
	}
	stuck := 0
	for _, snd := range senders {
		if snd.c.wmu.TryLock() {
			snd.c.wmu.Unlock()
			continue
		}
		stuck++
		_ = snd.c.ws.Close()
	}
	<-done
	return stuck
}

// openLoop sends at a fixed interval, whatever the answers: a slow server
// cannot slow the sender down and so hide its latency (coordinated
// omission). Each message's latency counts from when it was scheduled, not
// from when it could be written.
func openLoop(snd sender, s *sink, p plan, start int64, i int, stop chan struct{}, take func() bool) {
	n := len(p.senders)
	interval := int64(float64(n) / p.rate * float64(time.Second))
	// Spread the senders over one interval, so they do not fire together.
	next := start + interval*int64(i)/int64(n)
	buf := make([]byte, 0, len(p.text)+160)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if wait := next - now(); wait > 0 {
			timer.Reset(time.Duration(wait))
			select {
			case <-stop:
				return
			case <-timer.C:
			}
		}
		select {
		case <-stop:
			return
		default:
		}
		measured := s.measuring(next)
		if measured && !take() {
			return
		}
		sent := now()
		s.lag.record(snd.c.shard, sent-next)
		buf = sendFrame(buf[:0], p.text, sent, next, measured)
		if err := snd.c.write(buf); err != nil {
			s.fail("send_failed")
			return
		}
		s.sentOne(measured, snd.receivers)
		next += interval
	}
}

// closedLoop sends whenever one of its in-flight tokens is back: as fast
// as the server acknowledges.
func closedLoop(snd sender, s *sink, text string, stop chan struct{}, take func() bool) {
	buf := make([]byte, 0, len(text)+160)
	for {
		select {
		case <-stop:
			return
		case <-snd.c.done:
			s.fail("connection_closed")
			return
		case <-snd.c.window:
		}
		t := now()
		measured := s.measuring(t)
		if measured && !take() {
			return
		}
		buf = sendFrame(buf[:0], text, t, t, measured)
		if err := snd.c.write(buf); err != nil {
			s.fail("send_failed")
			return
		}
		s.sentOne(measured, snd.receivers)
	}
}

// sleepCtx sleeps for d and reports whether ctx let it finish.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
