package domain

// Claims (taken by package claims) make one node of several do a thing
// once: send a message to a connector, send a transcript email. Each thing
// has its own claim stream; a node claims it by appending a Claimed event
// with the stream's revision as it last saw it, so of two nodes claiming at
// once exactly one append succeeds. A claim lasts until its Until: a node
// that dies holding one keeps others off only until then.
const (
	// ClaimStreamPrefix prefixes every claim stream.
	ClaimStreamPrefix = "claim-"

	EventClaimed = "Claimed"
)

// ClaimStream returns the claim stream of the thing key of the kind kind
// ("delivery", "email").
func ClaimStream(kind, key string) string { return ClaimStreamPrefix + kind + "-" + key }

// Claimed records that Holder (a node) took a claim until Until.
type Claimed struct {
	Holder    string `json:"holder"`
	Until     string `json:"until"`
	Timestamp string `json:"timestamp"`
}

// EventType implements Event.
func (Claimed) EventType() string { return EventClaimed }
