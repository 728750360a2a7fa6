package conversations

import (
	"context"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// RegisterConnector decides a connector's registration and records it on
// the connectors stream.
func (s *Service) RegisterConnector(ctx context.Context, cmd domain.RegisterConnector, meta domain.Metadata) error {
	events, err := domain.DecideRegisterConnector(cmd, s.env())
	if err != nil {
		return err
	}
	return s.appendFacts(ctx, domain.ConnectorsStream, events, meta)
}

// RecordDelivery decides a connector's acknowledgement of a message
// against the state of the message's conversation, and records it on the
// conversation's delivery stream.
func (s *Service) RecordDelivery(ctx context.Context, cmd domain.RecordDelivery, meta domain.Metadata) error {
	var events []domain.Event
	err := s.decideOn(ctx, cmd.ConversationID, func(c *domain.Conversation) error {
		var err error
		events, err = domain.DecideDelivery(c, cmd, s.env())
		return err
	})
	if err != nil {
		return err
	}
	return s.appendFacts(ctx, domain.DeliveryStream(cmd.ConversationID), events, meta)
}

// decideOn calls decide with the state of conversation id, under the
// conversation's lock, as cached; when decide refuses, it catches the state
// up with the store and, if another node changed it, decides again (the
// message acknowledged may have been stored there). decide must not keep c.
func (s *Service) decideOn(ctx context.Context, id string, decide func(c *domain.Conversation) error) error {
	mu := &s.locks[lockIndex(id)]
	mu.Lock()
	defer mu.Unlock()
	c, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if err := decide(c); err == nil {
		return nil
	}
	if _, err := s.catchUp(ctx, c); err != nil {
		return err
	}
	return decide(c)
}

// appendFacts appends events to a stream of facts whatever it holds: no
// decider reads the connectors and delivery streams (a delivery is decided
// on its conversation's state), so there is no revision to expect and no
// race to retry.
func (s *Service) appendFacts(ctx context.Context, stream string, events []domain.Event, meta domain.Metadata) error {
	if len(events) == 0 {
		return nil
	}
	data := make([]domain.EventData, len(events))
	for i, e := range events {
		id := s.newID()
		if d, ok := e.(domain.MessageDelivered); ok {
			id = domain.DeliveryEventID(d.MessageID)
		}
		d, err := storedjson.EncodeEvent(id, e, meta)
		if err != nil {
			return err
		}
		data[i] = d
	}
	_, err := s.store.Append(ctx, stream, domain.Any(), data)
	return err
}
