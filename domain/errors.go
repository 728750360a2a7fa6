package domain

import (
	"errors"
	"fmt"
	"strconv"
)

// Code is a stable, machine-readable error code. Clients may switch on it;
// adapters map it to a transport status once, at the edge.
type Code string

// The error codes of the domain.
const (
	CodeInvalid           Code = "invalid_request"        // malformed or missing input
	CodeInvalidMessage    Code = "invalid_message"        // a message that breaks a rule
	CodeUnknownChannel    Code = "unknown_channel"        // init on a channel nobody serves
	CodeNotFound          Code = "conversation_not_found" // no such conversation
	CodeEnded             Code = "conversation_ended"     // the conversation is over
	CodeNotParticipant    Code = "not_a_participant"      // the sender has not joined
	CodeForbidden         Code = "forbidden"              // the caller may not do this
	CodeConflict          Code = "conflict"               // concurrent change; retry
	CodeSchema            Code = "schema_violation"       // an event fails its JSON Schema
	CodeUnavailable       Code = "store_unavailable"      // the event store cannot be reached
	CodeInternal          Code = "internal"               // a bug or an unexpected failure
	CodeWrongExpectedRev  Code = "wrong_expected_version" // an append's condition failed
	CodeStreamNotFound    Code = "stream_not_found"       // a read of a stream with no events
	CodeUnauthenticated   Code = "unauthenticated"        // missing or bad credentials
	CodeRateLimited       Code = "rate_limited"           // too many requests
	CodeTooLarge          Code = "too_large"              // over a size limit
	CodeUnknownEvent      Code = "unknown_event"          // a websocket event nobody handles
	CodeAlreadyRegistered Code = "already_registered"     // a duplicate registration
	CodeLimitExceeded     Code = "limit_exceeded"         // over a configured capacity
	CodeChannelNotFound   Code = "channel_not_found"      // no such channel
	CodeMessageNotFound   Code = "message_not_found"      // no such message
	CodeOngoing           Code = "conversation_ongoing"   // no transcript before the conversation ends
	CodeNoEmail           Code = "no_email"               // the customer gave no email address
	CodeUnknownQueue      Code = "unknown_queue"          // a routing queue nobody configured
	CodeAgentUnavailable  Code = "agent_unavailable"      // the agent is not ready or is full
)

// Error is the domain's error: a code for machines, a message for people and,
// where one input field is at fault, its name.
type Error struct {
	Code    Code
	Message string
	Field   string
	Err     error // the cause, if any; not shown to clients
}

// Error gives the code, the message, the field and the cause, for logs;
// clients see only the code, message and field.
func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap gives the cause, so that errors.Is and errors.As see through the code.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message. String arguments are
// clipped to MaxEcho characters: they are mostly input, echoed.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, clipArgs(args)...)}
}

// FieldError returns an *Error about one input field, with the arguments
// clipped as by Errorf.
func FieldError(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, clipArgs(args)...)}
}

// ErrorCode returns the code of err, CodeInternal when err carries none, and
// "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var w *WrongExpectedVersionError
	if errors.As(err, &w) {
		return CodeWrongExpectedRev
	}
	if errors.Is(err, ErrStreamNotFound) {
		return CodeStreamNotFound
	}
	if errors.Is(err, ErrUnavailable) {
		return CodeUnavailable
	}
	return CodeInternal
}

// ErrorMessage returns the message of err meant for people; errors without a
// code get a generic message, since their text may hold internals.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	switch ErrorCode(err) {
	case CodeWrongExpectedRev:
		return "the stream changed concurrently; retry"
	case CodeStreamNotFound:
		return "stream not found"
	case CodeUnavailable:
		return "the event store is unavailable; retry later"
	}
	return "internal error"
}

// ErrStreamNotFound is returned by reads of a stream that holds no event.
var ErrStreamNotFound = errors.New("stream not found")

// ErrUnavailable marks store failures that are worth retrying later
// (the store is down, unreachable or shutting down).
var ErrUnavailable = errors.New("event store unavailable")

// WrongExpectedVersionError is returned by Append when its expected revision
// does not hold.
type WrongExpectedVersionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the revision of the stream's last event; ActualNoStream is
	// true when the stream holds no event.
	Actual         Revision
	ActualNoStream bool
}

// Error names the stream, the revision expected and the one found.
func (e *WrongExpectedVersionError) Error() string {
	actual := "no_stream"
	if !e.ActualNoStream {
		actual = formatUint(e.Actual)
	}
	return fmt.Sprintf("wrong expected version on stream %q: expected %s, actual %s", e.Stream, e.Expected, actual)
}

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }
