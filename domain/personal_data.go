package domain

import "context"

// Erased stands in for every personal value whose key was destroyed: readers
// see it wherever the customer's name, identifiers or own words were.
const Erased = "[erased]"

// EventPersonalDataErased is the type of the event that records an erasure
// on each of the customer's conversation streams.
const EventPersonalDataErased = "PersonalDataErased"

// Error codes of erasure.
const (
	// CodeCustomerNotFound: no customer has this id (no key was ever made).
	CodeCustomerNotFound Code = "customer_not_found"
	// CodeErased: the customer's personal data was erased, so nothing new
	// can be stored for them under the same identity.
	CodeErased Code = "personal_data_erased"
)

// PersonalDataErased records that the data key of a customer was destroyed:
// every personal value of the conversation written before it now reads as
// Erased. The history still replays; only the values are gone.
type PersonalDataErased struct {
	ConversationID string `json:"conversationId"`
	// CustomerID is the customer's blind index (Customer.CustomerID).
	CustomerID string `json:"customerId"`
	// Timestamp is when the key was destroyed.
	Timestamp string `json:"timestamp"`
}

// EventType implements Event.
func (PersonalDataErased) EventType() string { return EventPersonalDataErased }

// Identity returns the identifier that ties a customer's conversations
// together: the refId, else the phone number, else the e-mail address in
// lower case, whichever the init request gave first in that order.
func (p PersonalData) Identity() string { return p.identity() }

// PersonalDataKeys holds the data keys that personal data is encrypted with,
// one per customer, by key id. Destroying a key is how a customer's data is
// erased: the ciphertext stays in the immutable history, unreadable.
// Implementations are safe for concurrent use; the contract suite in
// test/keycontract pins down this behaviour.
type PersonalDataKeys interface {
	// Create returns the key of id, making a new one of 32 random bytes
	// when there is none yet; two concurrent Creates of one id return the
	// same key. It returns an *Error of code CodeErased when the key of id
	// was destroyed: an erased identity gets no new key.
	Create(ctx context.Context, id string) ([]byte, error)

	// Get returns the key of id. A destroyed key is not an error: erased
	// is true and the key nil. An id that never had a key is an *Error of
	// code CodeCustomerNotFound.
	Get(ctx context.Context, id string) (key []byte, erased bool, err error)

	// Destroy removes the key of id from the store's files for good (within
	// what the store can promise; see README "Erasure"). Destroying a key
	// destroyed before succeeds; an id that never had a key is an *Error of
	// code CodeCustomerNotFound.
	Destroy(ctx context.Context, id string) error

	// Close releases the store.
	Close() error
}

// ErrNoKey is the error of Get and Destroy for an id that never had a key.
func ErrNoKey(id string) *Error {
	return Errorf(CodeCustomerNotFound, "no customer %s", id)
}

// ErrKeyErased is the error of Create for an id whose key was destroyed.
func ErrKeyErased(id string) *Error {
	return Errorf(CodeErased, "the personal data of customer %s was erased; it cannot be used again", id)
}

// applyErased evolves the state by an erasure: the customer's name, which
// greetings copy, is gone.
func (c *Conversation) applyErased() {
	c.Customer.Name = Erased
	if p := c.Participants[c.Customer.ID]; p != nil {
		p.Name = Erased
	}
	c.Start.Customer.Personal = PersonalData{FirstName: Erased}
}

// CanErase decides whether p may erase a customer's personal data: only a
// supervisor may, as erasure cannot be undone.
func (p Principal) CanErase() error {
	switch {
	case p.Unchecked, p.Role == RoleSupervisor:
		return nil
	case p.Role == "":
		return Errorf(CodeUnauthenticated, "erasing personal data needs a supervisor's API key")
	}
	return Errorf(CodeForbidden, "only a supervisor may erase personal data")
}

// PersonalDataKeyImporter is a key store that takes a key made elsewhere:
// copying sealed history into a new store copies its keys with it.
type PersonalDataKeyImporter interface {
	// Import stores key as the key of id. Importing the key id holds
	// already is no error; another key under id is a CodeConflict, and an
	// id destroyed here, CodeErased.
	Import(ctx context.Context, id string, key []byte) error
}
