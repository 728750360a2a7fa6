package diskstore

import "sync"

// notifier wakes subscribers when events commit. Each waiter takes the
// current channel before it looks for new events, and the writer closes the
// channel after publishing to the index, so no wake-up is ever missed.
// Stream subscribers wait on their stream's channel only, so thousands of
// conversation subscribers are not woken by every commit.
type notifier struct {
	mu      sync.Mutex
	all     chan struct{}
	streams map[string]chan struct{}
}

func newNotifier() *notifier {
	return &notifier{streams: make(map[string]chan struct{})}
}

// waitAll returns a channel closed at the next commit of any event.
func (n *notifier) waitAll() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.all == nil {
		n.all = make(chan struct{})
	}
	return n.all
}

// waitStream returns a channel closed at the next commit to stream.
func (n *notifier) waitStream(stream string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.streams[stream]
	if !ok {
		ch = make(chan struct{})
		n.streams[stream] = ch
	}
	return ch
}

// publish wakes the waiters of every stream in streams and of all streams.
// Channels are made lazily, so a commit nobody waits for costs a lock and
// a few map lookups.
func (n *notifier) publish(streams []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.all != nil {
		close(n.all)
		n.all = nil
	}
	if len(n.streams) == 0 {
		return
	}
	for _, s := range streams {
		if ch, ok := n.streams[s]; ok {
			close(ch)
			delete(n.streams, s)
		}
	}
}
