package personaldata

import (
	"encoding/json"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// This file says which values are personal: it walks the events that hold
// them and applies one function to each such value, so that sealing and
// opening cannot disagree about the fields.

// startValues applies f to every personal value of a ConversationStarted:
// the customer's personal fields, the page URL, the comment and the values
// of the developer's own fields.
func startValues(e *domain.ConversationStarted, f func(string) string) {
	p := &e.Customer.Personal
	for _, v := range []*string{&p.FirstName, &p.LastName, &p.Email, &p.Phone, &p.RefID, &e.URL, &e.Comment} {
		*v = f(*v)
	}
	for i := range e.Fields {
		e.Fields[i].Value = f(e.Fields[i].Value)
	}
}

// messageValues applies f to every personal value of m, a message of the
// conversation whose customer has the participant id customer: the
// customer's name wherever it stands, the text, refId and attachment URLs
// of what the customer wrote, and the text and refId of what is addressed
// to the customer alone (greetings, which copy the name; a connector's
// refId, the customer's number). When customer is empty every value that
// is sealed already is passed (opening needs no customer). It reports
// whether f was applied to any non-empty value.
func messageValues(m *domain.Message, customer string, f func(string) string) bool {
	applied := false
	apply := func(v *string) {
		if *v != "" {
			*v = f(*v)
			applied = true
		}
	}
	mine := func(id string) bool { return customer != "" && id == customer }
	sealed := func(v string) bool { return customer == "" && isSealed(v) }
	if mine(m.From.ID) || sealed(m.From.Name) {
		apply(&m.From.Name)
	}
	toCustomer := false
	for i := range m.To {
		if mine(m.To[i].ID) || sealed(m.To[i].Name) {
			apply(&m.To[i].Name)
			toCustomer = toCustomer || mine(m.To[i].ID)
		}
	}
	fromCustomer := mine(m.From.ID)
	greeting := toCustomer && m.ActivityType == domain.ActivityGreetings
	if fromCustomer || greeting || sealed(m.Text) {
		apply(&m.Text)
	}
	if fromCustomer || toCustomer || sealed(m.RefID) {
		apply(&m.RefID)
	}
	for i := range m.Attachments {
		a := &m.Attachments[i]
		if fromCustomer || sealed(a.ContentURL) {
			apply(&a.ContentURL)
		}
		if fromCustomer || sealed(a.ThumbnailURL) {
			apply(&a.ThumbnailURL)
		}
	}
	return applied
}

// decodeMessage decodes a stored message's data.
func decodeMessage(data []byte) (domain.Message, error) {
	if m, ok := storedjson.DecodeMessage(data); ok {
		return m, nil
	}
	var m domain.Message
	err := json.Unmarshal(data, &m)
	return m, err
}

// encodeMessage encodes a message as the store keeps it.
func encodeMessage(m *domain.Message) ([]byte, error) {
	m.Sequence = nil
	return storedjson.AppendMessage(nil, m)
}
