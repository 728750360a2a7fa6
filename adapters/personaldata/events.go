package personaldata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// sealStart gives the customer their customer id (the blind index), which
// names their data key, and seals the personal values with that key.
func (s *Store) sealStart(ctx context.Context, e *domain.EventData) ([]byte, error) {
	var start domain.ConversationStarted
	if err := json.Unmarshal(e.Data, &start); err != nil {
		return nil, fmt.Errorf("personal data: decode %s %s: %w", e.Type, e.ID, err)
	}
	identity := start.Customer.Personal.Identity()
	if identity == "" || e.Metadata.SchemaVersion == 1 {
		// The domain refuses a start without an identifier; and version 1
		// kept the personal values elsewhere (it is copied as it is).
		return nil, nil
	}
	keyID := s.index.of(start.Channel, identity)
	k, err := s.keys.createSealer(ctx, keyID)
	if err != nil {
		return nil, err
	}
	start.Customer.CustomerID = keyID
	plain, err := json.Marshal(start)
	if err != nil {
		return nil, err
	}
	ad := associatedData(keyID, e.ID)
	startValues(&start, func(v string) string { return k.seal(v, ad) })
	if e.Data, err = json.Marshal(start); err != nil {
		return nil, err
	}
	e.Metadata.KeyID = keyID
	return plain, nil
}

// sealMessage seals the customer's values in a message of conversation
// conv, whose customer is started when its start is in the same append; a
// message without any passes as it is.
func (s *Store) sealMessage(ctx context.Context, conv string, e *domain.EventData, started *subject) ([]byte, error) {
	var sub subject
	var err error
	if started != nil {
		sub = *started
	} else if sub, err = s.subject(ctx, conv); err != nil {
		return nil, err
	}
	if sub.keyID == "" {
		return nil, nil
	}
	if plainID(sub.customer) && !bytes.Contains(e.Data, []byte(sub.customer)) {
		return nil, nil // neither from nor to the customer: nothing to decode
	}
	// Most messages are in the plain form Parley writes: their sealed
	// values are written in place of the plain ones, and the rest of the
	// stored bytes stay as they are, rather than decoding and encoding the
	// whole message again.
	m, places, inPlace := storedjson.DecodeMessagePlaces(e.Data, make([]storedjson.Place, 0, 8))
	if !inPlace {
		if m, err = decodeMessage(e.Data); err != nil {
			return nil, fmt.Errorf("personal data: decode %s %s: %w", e.Type, e.ID, err)
		}
	}
	// The key is created only for a message that has values to seal.
	var k sealer
	var keyErr error
	keyed := false
	ad := associatedData(sub.keyID, e.ID)
	applied := messageValues(&m, sub.customer, func(v string) string {
		if !keyed {
			k, keyErr = s.keys.createSealer(ctx, sub.keyID)
			keyed = true
		}
		if keyErr != nil {
			return v
		}
		return k.seal(v, ad)
	})
	if !applied || keyErr != nil {
		return nil, keyErr
	}
	plain := e.Data
	if inPlace {
		e.Data = spliced(e.Data, places, &m)
	} else if e.Data, err = encodeMessage(&m); err != nil {
		return nil, err
	}
	e.Metadata.KeyID = sub.keyID
	return plain, nil
}

// spliced returns a copy of data with each placed value that m now holds
// in another form (sealed) written in its place. A sealed value is
// unpadded base64url after "enc:", which JSON writes as it is.
func spliced(data []byte, places []storedjson.Place, m *domain.Message) []byte {
	size := len(data)
	for _, pl := range places {
		size += len(*pl.In(m)) - (pl.End - pl.Start - 2)
	}
	out := make([]byte, 0, size)
	last := 0
	for _, pl := range places {
		v := *pl.In(m)
		if string(data[pl.Start+1:pl.End-1]) == v {
			continue
		}
		out = append(out, data[last:pl.Start]...)
		out = append(out, '"')
		out = append(out, v...)
		out = append(out, '"')
		last = pl.End
	}
	return append(out, data[last:]...)
}

// plainID reports whether JSON writes id as it is, so that its absence
// from a message's bytes proves the customer is not in it.
func plainID(id string) bool {
	for _, c := range []byte(id) {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return id != ""
}

// subject returns the customer of conversation conv, from memory or from
// the conversation's first event. A conversation that has not started, or
// started before encryption, has none: its messages stay as they are.
func (s *Store) subject(ctx context.Context, conv string) (subject, error) {
	if sub, ok := s.subjectOf(conv); ok {
		return sub, nil
	}
	recs, err := s.inner.ReadStream(ctx, domain.StreamName(conv), 0, 1)
	if errors.Is(err, domain.ErrStreamNotFound) {
		return subject{}, nil
	}
	if err != nil {
		return subject{}, err
	}
	sub, _ := startSubject(recs[0].Type, recs[0].Metadata.KeyID, recs[0].Data)
	s.remember(conv, sub)
	return sub, nil
}

// startSubject reads the customer of a stored ConversationStarted (its
// type, key id and data), whose participant id and customer id are never
// sealed.
func startSubject(eventType, keyID string, data []byte) (subject, bool) {
	if eventType != domain.EventConversationStarted || keyID == "" {
		return subject{}, false
	}
	var start struct {
		Customer struct {
			ParticipantID string `json:"participantId"`
		} `json:"customer"`
	}
	if json.Unmarshal(data, &start) != nil {
		return subject{}, false
	}
	return subject{customer: start.Customer.ParticipantID, keyID: keyID}, true
}

// open returns rec with its sealed values opened, or domain.Erased where
// the key is gone. The metadata keeps the key id, so readers can tell.
func (s *Store) open(ctx context.Context, rec domain.RecordedEvent) (domain.RecordedEvent, error) {
	if rec.Type == domain.EventPersonalDataErased {
		s.erased(rec.Data)
	}
	if rec.Metadata.KeyID == "" {
		return rec, nil
	}
	if rec.Type == domain.EventConversationStarted {
		if conv, ok := domain.ConversationIDOf(rec.Stream); ok {
			if sub, ok := startSubject(rec.Type, rec.Metadata.KeyID, rec.Data); ok {
				s.remember(conv, sub)
			}
		}
	}
	if plain, ok := s.recent.get(rec.ID, rec.Metadata.KeyID); ok {
		rec.Data = plain
		return rec, nil
	}
	k, erased, err := s.keys.sealerFor(ctx, rec.Metadata.KeyID)
	if err != nil {
		return rec, fmt.Errorf("personal data: key of %s %s: %w", rec.Type, rec.ID, err)
	}
	ad := associatedData(rec.Metadata.KeyID, rec.ID)
	reveal := func(v string) string {
		if !isSealed(v) {
			return v
		}
		if erased {
			return domain.Erased
		}
		if p, ok := k.open(v, ad); ok {
			return p
		}
		return domain.Erased
	}
	data, err := openData(rec, reveal)
	if err != nil {
		return rec, fmt.Errorf("personal data: open %s %s: %w", rec.Type, rec.ID, err)
	}
	rec.Data = data
	return rec, nil
}

// openData applies reveal to the sealed values of rec's data.
func openData(rec domain.RecordedEvent, reveal func(string) string) ([]byte, error) {
	switch rec.Type {
	case domain.EventConversationStarted:
		var start domain.ConversationStarted
		if err := json.Unmarshal(rec.Data, &start); err != nil {
			return nil, err
		}
		startValues(&start, reveal)
		return json.Marshal(start)
	case domain.EventChatMessage, domain.EventActivityMessage:
		m, err := decodeMessage(rec.Data)
		if err != nil {
			return nil, err
		}
		messageValues(&m, "", reveal)
		return encodeMessage(&m)
	}
	return rec.Data, nil
}

// erased forgets the key that a PersonalDataErased event names: another
// node, or a command line, may have destroyed it.
func (s *Store) erased(data []byte) {
	var e domain.PersonalDataErased
	if json.Unmarshal(data, &e) != nil || e.CustomerID == "" {
		return
	}
	s.keys.forget(e.CustomerID)
	s.recent.forget(e.CustomerID)
}
