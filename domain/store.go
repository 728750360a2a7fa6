package domain

import (
	"context"
	"time"
)

// StreamPrefix is the prefix of every conversation stream: conversation-<conversationId>.
const StreamPrefix = "conversation-"

// StreamName returns the stream that holds the events of one conversation.
func StreamName(conversationID string) string { return StreamPrefix + conversationID }

// Revision is the 0-based number of an event within its stream.
type Revision = uint64

// Position is the global position of an event in the store's total order.
// Positions strictly increase in the order events are committed but need not
// be contiguous; every stored event has a position greater than zero, so the
// zero value means "before the first event".
type Position = uint64

// After is a place in the global order that a read or a subscription of all
// streams starts after: 0 for "before the first event", or the Position of
// an event the store returned. Callers resume after the last event they
// handled by passing its own position. A position plus one is not an After:
// EventStoreDB refuses positions inside its log records, and a position one
// past an event is inside that event's record. After is a type of its own,
// not a Position, so that such arithmetic needs a conversion that shows.
type After uint64

// End, as where a subscription starts, means "only events appended after the
// subscription started": no catch-up. OnCaughtUp is called at once. It is
// untyped so that it serves as a Revision and as an After.
const End = 1<<64 - 1

// ExpectedRevision is the optimistic-concurrency condition of an append.
type ExpectedRevision struct {
	kind expectKind
	rev  Revision
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any appends whatever the stream holds.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream appends only when the stream holds no event yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists appends only when the stream holds at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact appends only when the last event of the stream has revision r.
func Exact(r Revision) ExpectedRevision { return ExpectedRevision{kind: expectExact, rev: r} }

// IsAny tells whether the condition is Any: adapters map each kind to their
// own form of it.
func (e ExpectedRevision) IsAny() bool { return e.kind == expectAny }

// IsNoStream tells whether the condition is NoStream.
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expectNoStream }

// IsStreamExists tells whether the condition is StreamExists.
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// Exact reports the revision and true for an exact condition.
func (e ExpectedRevision) Exact() (Revision, bool) {
	return e.rev, e.kind == expectExact
}

// String gives the condition as errors and logs show it: "any",
// "no_stream", "stream_exists" or the revision.
func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no_stream"
	case expectStreamExists:
		return "stream_exists"
	case expectExact:
		return formatUint(e.rev)
	default:
		return "any"
	}
}

// Metadata travels with every stored event.
type Metadata struct {
	// CorrelationID ties together every event caused by one request.
	CorrelationID string `json:"correlationId,omitempty"`
	// CausationID is the id of the command or event that caused this one.
	CausationID string `json:"causationId,omitempty"`
	// SchemaVersion names the JSON Schema version the data was written with.
	SchemaVersion int `json:"schemaVersion"`
	// Connection is the id of the connection that issued the command, so the
	// node that holds it can avoid echoing a message back to its sender.
	Connection string `json:"connection,omitempty"`
	// TraceID is the OpenTelemetry trace (32 hex digits) of the command
	// that stored the event, when tracing is on: an event in the history
	// leads to its trace.
	TraceID string `json:"traceId,omitempty"`
	// KeyID names the data key the event's personal values are encrypted
	// with (the customer's blind index); empty when it holds none.
	KeyID string `json:"keyId,omitempty"`
	// Actor is who issued the command that stored the event (ADR 40).
	// Events stored before it was recorded have none.
	Actor Actor `json:"actor,omitzero"`
	// Hash chains the event to the previous event of its stream: the
	// SHA-256, in hex, of the canonical form of ADR 40. The chain's store
	// decorator sets it on append; nothing else writes it.
	Hash string `json:"hash,omitempty"`
}

// EventData is an event proposed for appending.
type EventData struct {
	// ID identifies the event; a UUID in canonical text form. Appending an
	// event whose id is already stored at the same point is a no-op.
	ID       string
	Type     string
	Data     []byte // JSON
	Metadata Metadata
	// Recorded, when not zero, is the time the event was first recorded by
	// another store: only a copy of history (parley migrate) sets it, so
	// that a migrated event keeps its original time. The store then reports
	// it as the event's Recorded instead of its own commit time. Zero, as
	// every command leaves it, means "now".
	Recorded time.Time
}

// RecordedEvent is an event as the store holds it.
type RecordedEvent struct {
	ID       string
	Stream   string
	Type     string
	Revision Revision
	Position Position
	// Data may be shared by every reader of the event (a store's cache hands
	// out its own bytes): read it, or replace it, but never write into it.
	Data     []byte
	Metadata Metadata
	// Recorded is when the store committed the event (UTC), or, for an
	// event appended with EventData.Recorded, that time.
	Recorded time.Time
}

// AppendResult tells where an append left the stream.
type AppendResult struct {
	// NextRevision is the revision of the last event of the stream after the
	// append (for an idempotent retry, the last of the matching events).
	NextRevision Revision
	// Position is the global position of that event.
	Position Position
}

// Filter narrows a subscription to all streams.
type Filter struct {
	// StreamPrefix keeps only events of streams whose name starts with it.
	// Empty keeps every non-system stream.
	StreamPrefix string
}

// Handler receives subscribed events one at a time, in order. Returning an
// error ends the subscription with that error.
type Handler func(ctx context.Context, e RecordedEvent) error

// SubscribeOptions tunes a subscription.
type SubscribeOptions struct {
	// OnCaughtUp, when set, is called each time the subscription has delivered
	// every event that existed when it (re)started and goes live.
	OnCaughtUp func()
}

// EventStore is the port every event store adapter implements. The contract
// suite in test/storecontract pins down the behaviour described here.
//
// ReadAll and SubscribeToAll start after an After: 0, or the Position of an
// event the store returned (or End, for a subscription). A store may refuse
// any other value with an error of code CodeInvalid; EventStoreDB does, as
// such a value may point inside one of its log records.
type EventStore interface {
	// Append atomically appends events to the end of stream when expected
	// holds, and returns the revision and position of the last one. It
	// returns a *WrongExpectedVersionError when expected does not hold.
	// Appending the same event ids again at the point they were first
	// appended (exact revision or no_stream retry) stores nothing and
	// returns the original result; so does a retry with Any whose ids are
	// all found at the end of the stream. An append of no events is refused
	// with CodeInvalid: it would store nothing and has no revision to report.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events []EventData) (AppendResult, error)

	// ReadStream returns up to max events of stream with revision >= from,
	// in order. It returns ErrStreamNotFound when the stream holds no event.
	ReadStream(ctx context.Context, stream string, from Revision, max int) ([]RecordedEvent, error)

	// ReadAll returns up to max events with position > after, in global
	// order, skipping system streams and types (names starting with '$').
	// To page, pass the position of the last event of the previous page.
	ReadAll(ctx context.Context, after After, max int) ([]RecordedEvent, error)

	// SubscribeToStream delivers the events of stream with revision >= from
	// (or, for End, only later ones), then every event appended to it later,
	// until ctx is done or h fails. It blocks; it returns ctx.Err() when ctx ends and the handler's error
	// when h fails. Each event is delivered exactly once, in order, with no
	// gap, even across internal reconnects. A stream that does not exist yet
	// is waited for.
	SubscribeToStream(ctx context.Context, stream string, from Revision, h Handler, opts SubscribeOptions) error

	// SubscribeToAll delivers every event with position > after (or, for
	// End, only later ones) that passes filter (system streams and types are
	// always skipped), then every matching event appended later, with the
	// guarantees of SubscribeToStream.
	SubscribeToAll(ctx context.Context, after After, filter Filter, h Handler, opts SubscribeOptions) error

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error

	// Close releases the store. In-flight appends finish first.
	Close() error
}

// ConversationIDOf returns the conversation id of a conversation stream name.
func ConversationIDOf(stream string) (string, bool) {
	if len(stream) <= len(StreamPrefix) || stream[:len(StreamPrefix)] != StreamPrefix {
		return "", false
	}
	return stream[len(StreamPrefix):], true
}
