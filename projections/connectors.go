package projections

import (
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Connectors is the read model of channel connectors: which channels have
// registered connectors, each customer's active conversation per channel,
// and how far each conversation's messages have been delivered to its
// customer through the channel's connector.
//
// It holds a few numbers per conversation awaiting delivery and never a
// message: a connector that acknowledges nothing makes Parley keep one small
// entry per such conversation (the messages stay in the store), and at most
// one message per conversation is in flight.
type Connectors struct {
	// OnWork, when set, is called (without locks held) when a conversation
	// gets a message to deliver.
	OnWork func()
	// OnAck, when set, is told how long a connector took to acknowledge
	// a message (for metrics). It is called with the read model's lock
	// held: it must be quick and must not call back.
	OnAck func(channel string, took time.Duration)

	mu       sync.Mutex
	channels map[string]bool
	convs    map[string]*outboxEntry
	active   map[string]string // channel + "\x00" + refId -> conversation
	inflight map[string]string // message id -> conversation
	// ready holds, per channel, the conversations with a message to deliver
	// and none in flight, so that finding work does not scan every one.
	ready   map[string]map[string]*outboxEntry
	sending map[string]int // per channel
}

// outboxEntry is one conversation on a connector-borne channel.
type outboxEntry struct {
	conv, channel, refID, customer string
	// lastVisible is the sequence of the last message the customer should
	// receive through the connector; acked the last one delivered.
	lastVisible, acked int64
	ended              bool
	sending            bool // claimed for sending; seq and since are set once sent
	seq                int64
	msgID, session     string
	since              time.Time
}

// NewConnectors returns an empty read model.
func NewConnectors() *Connectors {
	return &Connectors{channels: map[string]bool{}, convs: map[string]*outboxEntry{}, active: map[string]string{},
		inflight: map[string]string{}, ready: map[string]map[string]*outboxEntry{}, sending: map[string]int{}}
}

// connectorBorne reports whether customers of channel are reached through a
// connector; web customers are on websockets.
func connectorBorne(channel string) bool { return channel != "web" }

// Apply folds one event of the live feed in. It ignores events of other
// kinds, and decodes a conversation's events only if it follows the
// conversation.
func (x *Connectors) Apply(fe *FeedEvent) error {
	switch fe.Type {
	case domain.EventConnectorRegistered, domain.EventMessageDelivered:
		e, err := fe.Event()
		if err != nil {
			return err
		}
		switch e := e.(type) {
		case domain.ConnectorRegistered:
			x.Register(e.Channel)
		case domain.MessageDelivered:
			x.Delivered(e.ConversationID, int64(e.Sequence))
		}
	case domain.EventConversationStarted, domain.EventChatMessage, domain.EventActivityMessage:
		return x.applyConversation(fe)
	case domain.EventPersonalDataErased:
		x.erase(fe.Stream)
	}
	return nil
}

func (x *Connectors) applyConversation(fe *FeedEvent) error {
	id, ok := domain.ConversationIDOf(fe.Stream)
	if !ok {
		return nil
	}
	if fe.Type != domain.EventConversationStarted {
		// Most conversations (web) are never followed: look before decoding.
		x.mu.Lock()
		followed := x.convs[id] != nil
		x.mu.Unlock()
		if !followed {
			return nil
		}
	}
	e, err := fe.Event()
	if err != nil {
		return err
	}
	work := false
	defer func() {
		if work && x.OnWork != nil {
			x.OnWork()
		}
	}()
	x.mu.Lock()
	defer x.mu.Unlock()
	switch e := e.(type) {
	case domain.ConversationStarted:
		if connectorBorne(e.Channel) {
			x.track(id, e.Channel, e.Customer.Personal.RefID, e.Customer.ParticipantID)
		}
	case domain.Message:
		en := x.convs[id]
		if en == nil {
			return nil
		}
		seq := int64(fe.Revision)
		if e.From.ID != en.customer && e.ActivityType != domain.ActivityTyping && e.VisibleTo(en.customer, domain.RoleCustomer) {
			en.lastVisible = max(en.lastVisible, seq)
			work = true
		}
		if e.ActivityType == domain.ActivityEndOfConversation {
			en.ended = true
			delete(x.active, en.channel+"\x00"+en.refID)
		}
		x.refresh(en)
	}
	return nil
}

// track starts following a conversation; the caller holds x.mu.
func (x *Connectors) track(conv, channel, refID, customer string) {
	if x.convs[conv] != nil {
		return
	}
	x.convs[conv] = &outboxEntry{conv: conv, channel: channel, refID: refID, customer: customer, lastVisible: -1, acked: -1}
	x.refresh(x.convs[conv])
	if refID != "" {
		x.active[channel+"\x00"+refID] = conv
	}
}

// refresh files en where its state says, after any change to it: ready
// when it has a message to deliver and none in flight, forgotten when it
// ended with nothing left to deliver. The caller holds x.mu.
func (x *Connectors) refresh(en *outboxEntry) {
	ready := x.ready[en.channel]
	if en.acked < en.lastVisible && !en.sending {
		if ready == nil {
			ready = map[string]*outboxEntry{}
			x.ready[en.channel] = ready
		}
		ready[en.conv] = en
	} else {
		delete(ready, en.conv)
	}
	if en.ended && en.acked >= en.lastVisible && !en.sending {
		delete(x.convs, en.conv)
	}
}

// setSending marks en as claimed or not; the caller holds x.mu.
func (x *Connectors) setSending(en *outboxEntry, on bool) {
	if en.sending == on {
		return
	}
	en.sending = on
	if on {
		x.sending[en.channel]++
	} else {
		x.sending[en.channel]--
		delete(x.inflight, en.msgID)
		en.msgID, en.session, en.since = "", "", time.Time{}
	}
}

// Register marks channel as served by a registered connector.
func (x *Connectors) Register(channel string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.channels[channel] = true
}

// Registered reports whether a connector ever registered for channel.
func (x *Connectors) Registered(channel string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.channels[channel]
}

// Active implements conversations.ChannelDirectory.
func (x *Connectors) Active(channel, refID string) (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	id, ok := x.active[channel+"\x00"+refID]
	return id, ok
}

// Remember implements conversations.ChannelDirectory.
func (x *Connectors) Remember(channel, refID, conv, customer string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if connectorBorne(channel) {
		x.track(conv, channel, refID, customer)
	}
}

// Claim is a conversation whose next message should go to its customer.
type Claim struct {
	Conversation, RefID, Customer string
	// After is the sequence after which to look for the next message.
	After int64
}

// Claim marks up to n conversations of channel that have messages to deliver
// and none in flight as being sent, and returns them.
func (x *Connectors) Claim(channel string, n int) []Claim {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []Claim
	for _, en := range x.ready[channel] {
		if len(out) >= n {
			break
		}
		x.setSending(en, true)
		x.refresh(en)
		out = append(out, Claim{Conversation: en.conv, RefID: en.refID, Customer: en.customer, After: en.acked})
	}
	return out
}

// InFlight returns how many conversations of channel have a message out.
func (x *Connectors) InFlight(channel string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.sending[channel]
}

// Sent records which message of a claimed conversation went to which
// connector session.
func (x *Connectors) Sent(conv string, seq int64, msgID, session string, now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if en := x.convs[conv]; en != nil && en.sending {
		en.seq, en.msgID, en.session, en.since = seq, msgID, session, now
		x.inflight[msgID] = conv
	}
}

// Skip records that nothing after a claim's After needs delivering up to
// seq (the messages there are not for the customer) and releases the claim.
func (x *Connectors) Skip(conv string, seq int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if en := x.convs[conv]; en != nil {
		en.acked = max(en.acked, seq)
		x.setSending(en, false)
		x.refresh(en)
	}
}

// Acked returns the conversation and sequence of the message msgID in
// flight to session, if it is.
func (x *Connectors) Acked(msgID, session string) (conv string, seq int64, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	conv = x.inflight[msgID]
	en := x.convs[conv]
	if en == nil || !en.sending || en.msgID != msgID || en.session != session {
		return "", 0, false
	}
	if x.OnAck != nil && !en.since.IsZero() {
		x.OnAck(en.channel, time.Since(en.since))
	}
	return conv, en.seq, true
}

// Delivered records that a conversation's messages up to seq are delivered.
func (x *Connectors) Delivered(conv string, seq int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	en := x.convs[conv]
	if en == nil || seq <= en.acked {
		return
	}
	en.acked = seq
	if en.sending && en.seq <= seq && en.since != (time.Time{}) {
		x.setSending(en, false)
	}
	x.refresh(en)
}

// Release frees the claims of a session (it closed), and of messages in
// flight since before deadline (unacknowledged for too long), so they are
// sent again; it returns how many it freed.
func (x *Connectors) Release(session string, deadline time.Time) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, en := range x.convs {
		if !en.sending || en.since == (time.Time{}) {
			continue
		}
		if en.session == session || en.since.Before(deadline) {
			x.setSending(en, false)
			x.refresh(en)
			n++
		}
	}
	return n
}

// Pending returns the number of conversations with messages awaiting
// delivery on channel.
func (x *Connectors) Pending(channel string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.ready[channel]) + x.sending[channel]
}

// Progress returns the last sequence delivered of a conversation and
// whether it is followed.
func (x *Connectors) Progress(conv string) (acked int64, followed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if en := x.convs[conv]; en != nil {
		return en.acked, true
	}
	return 0, false
}
