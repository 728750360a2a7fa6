package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parley-chat/parley/domain"
)

// clientCode returns the client's error code, looking through wrapping.
// esdb.FromError cannot be used for this: it only sees unwrapped errors and
// reports ok only for nil.
func clientCode(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

func isConnectionClosed(err error) bool {
	code, ok := clientCode(err)
	return ok && code == esdb.ErrorCodeConnectionClosed
}

// isInvalidPosition reports EventStoreDB's refusal to read $all from a
// position inside a log record. A plain read gets status Unknown with
// "Unexpected ReadAllResult: InvalidPosition" (24.10 to 25.0: the read
// enumerator's default branch); a subscription gets InvalidArgument.
func isInvalidPosition(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Unknown:
		return strings.Contains(st.Message(), "ReadAllResult: InvalidPosition")
	case codes.InvalidArgument:
		return strings.Contains(st.Message(), "invalid position")
	}
	return false
}

// mapError turns what the client returned into the domain's errors: not
// found, unavailable (worth retrying later), too large, or an internal error
// that keeps the cause. ctx decides between the caller giving up and the
// store being too slow.
func mapError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrStreamNotFound) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("esdb: %s: %w: %w", op, domain.ErrUnavailable, ctxErr)
		}
		return fmt.Errorf("esdb: %s: %w", op, ctxErr)
	}
	if isInvalidPosition(err) {
		return &domain.Error{Code: domain.CodeInvalid, Field: "after",
			Message: "the position is not the position of an event", Err: err}
	}
	if code, ok := clientCode(err); ok {
		switch code {
		case esdb.ErrorCodeResourceNotFound, esdb.ErrorCodeStreamDeleted:
			return fmt.Errorf("esdb: %s: %w", op, domain.ErrStreamNotFound)
		case esdb.ErrorUnavailable, esdb.ErrorCodeConnectionClosed, esdb.ErrorCodeDeadlineExceeded,
			esdb.ErrorAborted, esdb.ErrorCodeNotLeader:
			return fmt.Errorf("esdb: %s: %w: %w", op, domain.ErrUnavailable, err)
		case esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeAccessDenied:
			return &domain.Error{Code: domain.CodeInternal, Message: "the event store refused our credentials", Err: err}
		}
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
			return fmt.Errorf("esdb: %s: %w: %w", op, domain.ErrUnavailable, err)
		case codes.InvalidArgument:
			if strings.Contains(st.Message(), "Maximum Append Size") {
				return &domain.Error{Code: domain.CodeTooLarge, Message: "the events are too large for the event store", Err: err}
			}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("esdb: %s: %w: %w", op, domain.ErrUnavailable, err)
	}
	return fmt.Errorf("esdb: %s: %w", op, err)
}

// retryable tells whether a dropped or refused subscription is worth
// opening again: yes for outages and unknown failures, no for refusals
// that would only repeat.
func retryable(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, domain.ErrUnavailable) {
		return true
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return false
	}
	if code, ok := clientCode(err); ok {
		switch code {
		case esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeAccessDenied, esdb.ErrorCodeStreamDeleted:
			return false
		}
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated, codes.FailedPrecondition,
			codes.Unimplemented:
			return false
		}
	}
	return true
}

// actualRe matches the one place the client reports the actual revision:
// "wrong expected version: expecting '<x>' but got '<y>'".
var actualRe = regexp.MustCompile(`but got '(no_stream|\d+)'`)

// parseActual reads the actual revision out of a wrong-expected-version
// error; ok is false when the text is not the expected shape.
func parseActual(err error) (rev domain.Revision, noStream, ok bool) {
	m := actualRe.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false, false
	}
	if m[1] == "no_stream" {
		return 0, true, true
	}
	v, perr := strconv.ParseUint(m[1], 10, 64)
	return v, false, perr == nil
}
