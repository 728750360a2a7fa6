package projections

import "sort"

// ConnectorBacklog is what one channel's connectors have still to deliver.
type ConnectorBacklog struct {
	Channel string
	// Pending counts the conversations with messages awaiting delivery,
	// InFlight those with a message sent and not yet acknowledged.
	Pending, InFlight int
}

// Backlog returns the backlog of every registered channel, by name.
func (x *Connectors) Backlog() []ConnectorBacklog {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]ConnectorBacklog, 0, len(x.channels))
	for ch := range x.channels {
		out = append(out, ConnectorBacklog{Channel: ch, Pending: len(x.ready[ch]) + x.sending[ch], InFlight: x.sending[ch]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}
