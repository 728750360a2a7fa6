// Package erasure erases a customer's personal data: it destroys their data
// key and records the erasure on each of their conversations (ADR 41).
package erasure

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Eraser erases customers' personal data.
type Eraser struct {
	// Store is where PersonalDataErased events are appended.
	Store domain.EventStore
	// History is read to find the customer's conversations; the customer id
	// is never sealed, so it may be the store below the one that opens
	// sealed values, which saves opening them. Nil reads Store.
	History domain.EventStore
	// Keys holds the data keys; pass the personal data store's, so that it
	// forgets the key at once.
	Keys domain.PersonalDataKeys
	Now  func() time.Time
}

// Result tells what an erasure did.
type Result struct {
	// Conversations are the customer's conversations.
	Conversations []string
	// Recorded counts the PersonalDataErased events appended now: fewer
	// than Conversations when the erasure was asked for before.
	Recorded int
}

// page is how many events a scan of the history reads at once.
const page = 1000

// Erase destroys the data key of customerID and appends PersonalDataErased to
// each of their conversations that does not hold one yet. Erasing again is
// no error: it completes an erasure that was cut short. An id of the wrong
// form is CodeInvalid; an id that never had a key, CodeCustomerNotFound.
func (e *Eraser) Erase(ctx context.Context, customerID string) (Result, error) {
	if !isCustomerID(customerID) {
		return Result{}, domain.FieldError(domain.CodeInvalid, "customerId", "a customer id is 32 lower-case hex digits, not %q", customerID)
	}
	if err := e.Keys.Destroy(ctx, customerID); err != nil {
		return Result{}, err
	}
	convs, done, err := e.conversations(ctx, customerID)
	if err != nil {
		return Result{}, err
	}
	res := Result{Conversations: convs}
	for _, conv := range convs {
		if done[conv] {
			continue
		}
		ev, err := domain.EncodeEvent(domain.NameUUID("erased\x00"+customerID+"\x00"+conv), domain.PersonalDataErased{
			ConversationID: conv, CustomerID: customerID, Timestamp: domain.FormatTime(e.Now()),
		}, domain.Metadata{CorrelationID: "erase-" + customerID})
		if err != nil {
			return res, err
		}
		if _, err := e.Store.Append(ctx, domain.StreamName(conv), domain.Any(), []domain.EventData{ev}); err != nil {
			return res, err
		}
		res.Recorded++
	}
	return res, nil
}

// conversations scans the history for the customer's conversations and
// those that record the erasure already.
func (e *Eraser) conversations(ctx context.Context, customerID string) (convs []string, done map[string]bool, err error) {
	history := e.History
	if history == nil {
		history = e.Store
	}
	done = map[string]bool{}
	var after domain.After
	for {
		recs, err := history.ReadAll(ctx, after, page)
		if err != nil {
			return nil, nil, err
		}
		for _, rec := range recs {
			conv, ok := domain.ConversationIDOf(rec.Stream)
			if !ok {
				continue
			}
			switch rec.Type {
			case domain.EventConversationStarted:
				if startedBy(rec.Data) == customerID {
					convs = append(convs, conv)
				}
			case domain.EventPersonalDataErased:
				var er domain.PersonalDataErased
				if json.Unmarshal(rec.Data, &er) == nil && er.CustomerID == customerID {
					done[conv] = true
				}
			}
		}
		if len(recs) < page {
			return convs, done, nil
		}
		after = domain.After(recs[len(recs)-1].Position)
	}
}

// startedBy returns the customer id of a ConversationStarted's data.
func startedBy(data []byte) string {
	var s struct {
		Customer struct {
			CustomerID string `json:"customerId"`
		} `json:"customer"`
	}
	if json.Unmarshal(data, &s) != nil {
		return ""
	}
	return s.Customer.CustomerID
}

func isCustomerID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
