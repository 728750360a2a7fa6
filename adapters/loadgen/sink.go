package loadgen

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
)

// sink collects what every connection of one run sees: counters, the two
// latency histograms and the errors. The measured window opens when start
// is called and closes with stop; throughput counts arrivals inside it,
// latency every measured message, whenever it arrives.
type sink struct {
	from, until atomic.Int64 // the measured window, in now() time

	sent, expected    atomic.Int64 // measured messages sent; deliveries they should make
	sentAll           atomic.Int64 // every message, warm-up included
	delivered         atomic.Int64 // deliveries of measured messages
	arrivedInWindow   atomic.Int64 // deliveries, of any message, inside the window
	deliveredAll      atomic.Int64
	acked, errorCount atomic.Int64

	// arrival is send-to-arrival latency at the other participants, ack
	// send-to-ack at the sender, lag how late senders sent after their
	// schedule (the load generator's own delay, included in arrival).
	arrival, ack, lag *latencies

	mu     sync.Mutex
	errors map[string]int64 // by code
}

func newSink() *sink {
	s := &sink{arrival: newLatencies(), ack: newLatencies(), lag: newLatencies(), errors: map[string]int64{}}
	s.from.Store(math.MaxInt64)
	s.until.Store(math.MaxInt64)
	return s
}

// start opens the measured window now.
func (s *sink) start() { s.from.Store(now()) }

// stop closes the measured window now.
func (s *sink) stop() { s.until.Store(now()) }

// measuring reports whether a message scheduled at t is measured.
func (s *sink) measuring(t int64) bool { return t >= s.from.Load() && s.until.Load() == math.MaxInt64 }

// sentOne counts a message sent at scheduled time t that receivers other
// participants should receive.
func (s *sink) sentOne(measured bool, receivers int) {
	s.sentAll.Add(1)
	if measured {
		s.sent.Add(1)
		s.expected.Add(int64(receivers))
	}
}

// handle accounts for one frame received on connection shard.
func (s *sink) handle(shard int, r received) {
	t := now()
	switch r.kind {
	case kindArrived:
		s.deliveredAll.Add(1)
		if t >= s.from.Load() && t <= s.until.Load() {
			s.arrivedInWindow.Add(1)
		}
		if r.measured {
			s.delivered.Add(1)
			s.arrival.record(shard, t-r.stamp)
		}
	case kindAck:
		if r.measured {
			s.acked.Add(1)
			s.ack.record(shard, t-r.sent)
		}
	case kindError:
		s.fail(r.code)
	}
}

// fail counts an error of the given code.
func (s *sink) fail(code string) {
	if code == "" {
		code = "unknown"
	}
	s.errorCount.Add(1)
	s.mu.Lock()
	s.errors[code]++
	s.mu.Unlock()
}

// errorCodes returns the errors seen, by code, most frequent first.
func (s *sink) errorCodes() []ErrorCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ErrorCount, 0, len(s.errors))
	for c, n := range s.errors {
		out = append(out, ErrorCount{Code: c, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Code < out[j].Code
	})
	return out
}

// ErrorCount is how often one error code was seen.
type ErrorCount struct {
	Code  string `json:"code"`
	Count int64  `json:"count"`
}
