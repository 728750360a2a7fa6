package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/domain"
)

// DefaultMaxAppendSize is EventStoreDB's default --max-append-size (1 MiB).
const DefaultMaxAppendSize = 1 << 20

// maxAppendSizeKey is the connection string setting, Parley's own, that
// tells the adapter the node's --max-append-size. It is taken out before
// the string reaches the official client, which knows nothing of it.
const maxAppendSizeKey = "maxappendsize"

// WithMaxAppendSize tells the adapter the node's --max-append-size, as the
// connection string's maxAppendSize setting does.
func WithMaxAppendSize(n int) Option { return func(o *options) { o.maxAppendSize = n } }

// takeMaxAppendSize removes the maxAppendSize setting (any case) from a
// connection string and returns its value, or 0 when it is absent.
func takeMaxAppendSize(conn string) (rest string, size int, err error) {
	base, query, found := strings.Cut(conn, "?")
	if !found {
		return conn, 0, nil
	}
	var kept []string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if strings.ToLower(k) != maxAppendSizeKey {
			kept = append(kept, kv)
			continue
		}
		if size, err = strconv.Atoi(v); err != nil || size <= 0 {
			return "", 0, domain.FieldError(domain.CodeInvalid, "maxAppendSize", "maxAppendSize %q is not a positive number of bytes", v)
		}
	}
	if len(kept) == 0 {
		return base, size, nil
	}
	return base + "?" + strings.Join(kept, "&"), size, nil
}

// isAppendCutShort reports an append whose request stream the node closed
// while the client was still sending it: the client reports only EOF,
// not why. A node does that when the append goes over its size limit, and
// a connection does it when it drops.
func isAppendCutShort(err error) bool {
	return errors.Is(err, io.EOF) && strings.Contains(err.Error(), "could not send append request")
}

// cutShort maps an append cut short: too large when the events are over
// the configured limit as the node counts them, unavailable otherwise (a
// dropped connection must not look like a size error).
func (s *Store) cutShort(ctx context.Context, stream string, data []esdb.EventData, err error) error {
	counting := s.sizeCounting(ctx)
	size := 0
	for _, e := range data {
		size += counting(e)
	}
	if size > s.opt.maxAppendSize {
		return &domain.Error{Code: domain.CodeTooLarge, Err: err, Message: "the events are too large for the event store (" +
			strconv.Itoa(size) + " bytes counted, over its limit of " + strconv.Itoa(s.opt.maxAppendSize) + ")"}
	}
	return fmt.Errorf("esdb: append to %s: %w: %w", stream, domain.ErrUnavailable, err)
}

// sizeCounting returns how the node counts an event towards its append
// limit. 24.10.4 and later count data, metadata and the type (as UTF-16,
// so twice its length for ASCII); before, a slip in the node's sum made it
// count the data alone. When the version is unknown, the newer counting,
// the larger, is assumed.
func (s *Store) sizeCounting(ctx context.Context) func(esdb.EventData) int {
	v, err := call(ctx, s, func(_ context.Context, c *esdb.Client) (*esdb.ServerVersion, error) {
		return c.GetServerVersion()
	})
	if err == nil && v != nil && v.Major > 0 && (v.Major < 24 || v.Major == 24 && (v.Minor < 10 || v.Minor == 10 && v.Patch < 4)) {
		return func(e esdb.EventData) int { return len(e.Data) }
	}
	return func(e esdb.EventData) int { return len(e.Data) + len(e.Metadata) + 2*len(e.EventType) }
}
