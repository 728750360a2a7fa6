package projections

// ConnectorsState is the Connectors read model as a snapshot holds it:
// what its fold of the history built, without the claims of messages in
// flight, which belong to connections a restart closes.
type ConnectorsState struct {
	Channels []string          `json:"channels"`
	Convs    []OutboxState     `json:"convs"`
	Active   map[string]string `json:"active"`
}

// OutboxState is one followed conversation in a ConnectorsState.
type OutboxState struct {
	Conv        string `json:"c"`
	Channel     string `json:"ch"`
	RefID       string `json:"r,omitempty"`
	Customer    string `json:"cu"`
	LastVisible int64  `json:"v"`
	Acked       int64  `json:"a"`
	Ended       bool   `json:"e,omitempty"`
}

// State returns a copy of the read model's state. Called from the feed
// between two events, it is the fold up to the first of them.
func (x *Connectors) State() ConnectorsState {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := ConnectorsState{Convs: make([]OutboxState, 0, len(x.convs)), Active: make(map[string]string, len(x.active))}
	for ch := range x.channels {
		st.Channels = append(st.Channels, ch)
	}
	for _, en := range x.convs {
		st.Convs = append(st.Convs, OutboxState{Conv: en.conv, Channel: en.channel, RefID: en.refID,
			Customer: en.customer, LastVisible: en.lastVisible, Acked: en.acked, Ended: en.ended})
	}
	for k, v := range x.active {
		st.Active[k] = v
	}
	return st
}

// Restore replaces the read model's state with st, before the feed starts.
func (x *Connectors) Restore(st ConnectorsState) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.channels, x.convs, x.active = map[string]bool{}, map[string]*outboxEntry{}, map[string]string{}
	x.inflight, x.ready, x.sending = map[string]string{}, map[string]map[string]*outboxEntry{}, map[string]int{}
	for _, ch := range st.Channels {
		x.channels[ch] = true
	}
	for _, c := range st.Convs {
		en := &outboxEntry{conv: c.Conv, channel: c.Channel, refID: c.RefID, customer: c.Customer,
			lastVisible: c.LastVisible, acked: c.Acked, ended: c.Ended}
		x.convs[c.Conv] = en
		x.refresh(en)
	}
	for k, v := range st.Active {
		x.active[k] = v
	}
}
