package webhook_test

import (
	"testing"
	"time"
)

// BenchmarkDeliveryThroughput delivers the history of 20 conversations
// (21 events each, whispers skipped) to a loopback receiver that answers
// at once: events per second through one webhook, at the default
// concurrency of 4 requests in flight.
func BenchmarkDeliveryThroughput(b *testing.B) {
	for range b.N {
		b.StopTimer()
		store := openStore(b)
		r := newReceiver(b)
		chats(b, store, 20, 16)
		n := count(wanted(b, store))
		b.StartTimer()
		began := time.Now()
		run := start(b, store, "node-1", "crm="+r.srv.URL)
		for len(r.accepted()) < n {
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(float64(n)/time.Since(began).Seconds(), "events/s")
		b.StopTimer()
		run.stop()
	}
}
