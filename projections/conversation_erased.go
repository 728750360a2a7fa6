package projections

import "github.com/parley-chat/parley/domain"

// erase folds a PersonalDataErased into the index: the personal values it
// keeps (the customer's name, the page URL, the comment, the values of the
// developer's own fields) read as erased from then on, as a refold from the
// store would give them. Messages are not kept here; their pages are read
// from the store, which opens nothing of an erased customer.
func (x *Index) erase() {
	c := &x.Conversation
	for _, v := range []*string{&c.URL, &c.Comment, &c.Customer.Name} {
		if *v != "" {
			*v = domain.Erased
		}
	}
	fields := make([]domain.Field, len(c.Fields))
	for i, f := range c.Fields {
		fields[i] = domain.Field{Name: f.Name, Value: domain.Erased}
	}
	c.Fields = fields
	for i := range x.Participants {
		if x.Participants[i].ID == c.Customer.ID {
			x.Participants[i].Name = domain.Erased
		}
	}
}
