// Package webhook is the bookkeeping of Parley's webhooks: the events a
// webhook's own stream holds (claims, checkpoints, operators' controls) and
// the state folded from them. The stream is the webhook's memory: where it
// is in the history, which node delivers it, whether it is paused. Nothing
// about a webhook lives only in a node's memory, so a restart, a failover or
// a receiver that is down for a day loses nothing.
package webhook

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-chat/parley/domain"
)

// StreamPrefix is the prefix of every webhook stream: webhook-<name>. It is
// not a conversation stream, so no webhook ever carries its events.
const StreamPrefix = "webhook-"

// Stream returns the bookkeeping stream of webhook name.
func Stream(name string) string { return StreamPrefix + name }

// Event types of webhook streams.
const (
	EventClaimed      = "WebhookClaimed"
	EventCheckpointed = "WebhookCheckpointed"
	EventControlled   = "WebhookControlled"
)

// CodeNotFound is the error code of a webhook name that is not configured.
const CodeNotFound domain.Code = "webhook_not_found"

// Claimed records that node delivers the webhook until LeaseUntil, unless
// it claims again before then. A claim is appended with the exact revision
// the claimant read, so of two nodes claiming at once only one wins.
type Claimed struct {
	Webhook    string `json:"webhook"`
	Node       string `json:"node"`
	LeaseUntil string `json:"leaseUntil"`
	At         string `json:"at"`
}

// Checkpointed records how far the webhook got: every conversation event up
// to the one at Position has been delivered (or skipped by the webhook's
// filters), so delivery resumes after it (domain.After; 0 before the first).
// It is the position of an event, never one past it, since EventStoreDB
// reads only from an event's own position (ADR 18).
// It also carries the delivery statistics an operator reads.
type Checkpointed struct {
	Webhook  string       `json:"webhook"`
	Node     string       `json:"node"`
	Position domain.After `json:"position"`
	// Delivered counts the deliveries made by the node since it claimed.
	Delivered     uint64 `json:"delivered"`
	LastSuccessAt string `json:"lastSuccessAt,omitempty"`
	LastError     string `json:"lastError,omitempty"`
	LastErrorAt   string `json:"lastErrorAt,omitempty"`
	// Attempts is the number of failed attempts of the event that is
	// being retried now; 0 when nothing is failing.
	Attempts int    `json:"attempts"`
	At       string `json:"at"`
}

// Actions of Controlled.
const (
	ActionPause  = "pause"
	ActionResume = "resume"
	ActionReplay = "replay"
)

// Controlled records an operator's pause, resume or replay. A replay moves
// the webhook's position to From: deliveries start again after it.
type Controlled struct {
	Webhook string       `json:"webhook"`
	Action  string       `json:"action"`
	From    domain.After `json:"from,omitempty"`
	By      string       `json:"by"`
	At      string       `json:"at"`
}

// EventType implements domain.Event.
func (Claimed) EventType() string { return EventClaimed }

// EventType implements domain.Event.
func (Checkpointed) EventType() string { return EventCheckpointed }

// EventType implements domain.Event.
func (Controlled) EventType() string { return EventControlled }

// Decode turns a stored webhook event into its Event; other types decode to
// nil without error.
func Decode(rec domain.RecordedEvent) (domain.Event, error) {
	switch rec.Type {
	case EventClaimed:
		return decodeAs[Claimed](rec)
	case EventCheckpointed:
		return decodeAs[Checkpointed](rec)
	case EventControlled:
		return decodeAs[Controlled](rec)
	}
	return nil, nil
}

func decodeAs[E domain.Event](rec domain.RecordedEvent) (domain.Event, error) {
	var e E
	if err := json.Unmarshal(rec.Data, &e); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", rec.Type, rec.ID, err)
	}
	return e, nil
}

// State is a webhook as its stream tells it.
type State struct {
	Name string
	// Revision is the revision of the stream's last event, valid when
	// Exists; appends use it as their expected revision.
	Revision domain.Revision
	Exists   bool
	// Position is where delivery resumes: after the last event known to be
	// delivered with every event before it.
	Position   domain.After
	Owner      string
	LeaseUntil time.Time
	Paused     bool
	// Stats of the last checkpoint.
	Delivered     uint64
	LastSuccessAt string
	LastError     string
	LastErrorAt   string
	Attempts      int
	// Replays counts the replays requested, so that a node notices one.
	Replays int
}

// Apply folds one event of the webhook's stream in; it never fails and
// ignores unknown events.
func (s *State) Apply(rev domain.Revision, e domain.Event) {
	s.Revision, s.Exists = rev, true
	switch e := e.(type) {
	case Claimed:
		if e.Node != s.Owner {
			s.Delivered, s.Attempts = 0, 0
		}
		s.Owner = e.Node
		s.LeaseUntil, _ = time.Parse(time.RFC3339Nano, e.LeaseUntil)
	case Checkpointed:
		s.Position, s.Delivered, s.Attempts = e.Position, e.Delivered, e.Attempts
		s.LastSuccessAt, s.LastError, s.LastErrorAt = e.LastSuccessAt, e.LastError, e.LastErrorAt
	case Controlled:
		switch e.Action {
		case ActionPause:
			s.Paused = true
		case ActionResume:
			s.Paused = false
		case ActionReplay:
			s.Position = e.From
			s.Replays++
		}
	}
}

// Expected is the condition under which an append keeps what was folded.
func (s *State) Expected() domain.ExpectedRevision {
	if !s.Exists {
		return domain.NoStream()
	}
	return domain.Exact(s.Revision)
}

// Claimable reports whether node may claim the webhook at now: it holds
// the lease, or nobody does.
func (s *State) Claimable(node string, now time.Time) bool {
	return s.Owner == "" || s.Owner == node || !now.Before(s.LeaseUntil)
}
