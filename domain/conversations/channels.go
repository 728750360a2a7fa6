package conversations

import (
	"context"
	"hash/fnv"
	"strings"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// ChannelDirectory knows each customer's active conversation on each channel.
type ChannelDirectory interface {
	// Active returns the active conversation of the customer refID on
	// channel, if any.
	Active(channel, refID string) (string, bool)
	// Remember records a conversation just started, before the directory
	// could learn of it from the store.
	Remember(channel, refID, conversationID, customerID string)
}

// ChannelMessage is a message to or from a customer known only by channel
// and account (refId): an SMS from a customer, or a campaign's message.
type ChannelMessage struct {
	Channel string
	RefID   string
	// Sender is the staff or system participant that sends to the
	// customer; zero means the customer is the sender.
	Sender  domain.Participant
	Message domain.Message
}

// channelLocks serialises messages of one customer on one channel, so that
// two messages of a new customer do not start two conversations.
type channelLocks struct{ mu [64]sync.Mutex }

func (l *channelLocks) lock(channel, refID string) func() {
	h := fnv.New32a()
	h.Write([]byte(channel + "\x00" + refID))
	m := &l.mu[h.Sum32()%64]
	m.Lock()
	return m.Unlock
}

// PostOnChannel posts cm to the customer's active conversation on the
// channel, starting one (as init would) when there is none, and joining the
// sender first when needed.
func (s *Service) PostOnChannel(ctx context.Context, dir ChannelDirectory, cm ChannelMessage, meta domain.Metadata) (Result, error) {
	if strings.TrimSpace(cm.RefID) == "" {
		return Result{}, domain.FieldError(domain.CodeInvalid, "refId", "refId is required: the customer's account on the channel")
	}
	// Refused before a conversation is started or the sender joined for it.
	if err := domain.CheckMessageTexts(cm.Message); err != nil {
		return Result{}, err
	}
	if err := domain.CheckText("from.name", cm.Sender.Name); err != nil {
		return Result{}, err
	}
	unlock := s.channels.lock(cm.Channel, cm.RefID)
	defer unlock()

	conv, customer, err := s.activeConversation(ctx, dir, cm.Channel, cm.RefID, meta)
	if err != nil {
		return Result{}, err
	}
	sender := cm.Sender
	if sender.ID == "" {
		sender = customer
	}
	if err := s.ensureJoined(ctx, conv, sender, meta); err != nil {
		return Result{}, err
	}
	m := cm.Message
	m.From = domain.Participant{ID: sender.ID}
	m.ConversationID = conv
	return s.Execute(ctx, conv, domain.PostMessage{Message: m}, meta)
}

// activeConversation returns the customer's active conversation on the
// channel and the customer participant, starting a conversation if needed.
func (s *Service) activeConversation(ctx context.Context, dir ChannelDirectory, channel, refID string, meta domain.Metadata) (string, domain.Participant, error) {
	if id, ok := dir.Active(channel, refID); ok {
		var open bool
		var customer domain.Participant
		if err := s.inspect(ctx, id, func(c *domain.Conversation) { open, customer = c.Started && !c.Ended, c.Customer }); err != nil {
			return "", domain.Participant{}, err
		}
		if open {
			return id, customer, nil
		}
	}
	personal := domain.PersonalData{RefID: refID}
	if channel == "sms" {
		personal.Phone = refID
	}
	started, err := s.Start(ctx, domain.StartConversation{Channel: channel, Personal: personal}, meta)
	if err != nil {
		return "", domain.Participant{}, err
	}
	dir.Remember(channel, refID, started.ConversationID, started.Customer.ParticipantID)
	return started.ConversationID, domain.Participant{ID: started.Customer.ParticipantID, Name: personal.DisplayName(), Role: domain.RoleCustomer}, nil
}

// ensureJoined joins p to conv unless it has joined already.
func (s *Service) ensureJoined(ctx context.Context, conv string, p domain.Participant, meta domain.Metadata) error {
	var joined bool
	err := s.inspect(ctx, conv, func(c *domain.Conversation) {
		known := c.Participants[p.ID]
		joined = known != nil && known.Joined()
	})
	if err != nil || joined {
		return err
	}
	_, err = s.Execute(ctx, conv, domain.JoinConversation{Participant: p}, meta)
	return err
}

// inspect calls fn with the current state of conversation id, under the
// conversation's lock; fn must not keep c.
func (s *Service) inspect(ctx context.Context, id string, fn func(c *domain.Conversation)) error {
	mu := &s.locks[lockIndex(id)]
	mu.Lock()
	defer mu.Unlock()
	c, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.catchUp(ctx, c); err != nil {
		return err
	}
	fn(c)
	return nil
}
