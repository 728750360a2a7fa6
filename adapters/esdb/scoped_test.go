package esdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
)

// scoped makes a shared node look like an empty store to one contract case:
// its stream names get a namespace, and reads of all streams see only that
// namespace, after the node's position when the scope was made.
type scoped struct {
	inner *esdb.Store
	url   string
	ns    string
	base  domain.Position
}

var _ domain.EventStore = (*scoped)(nil)

func newScoped(t *testing.T, inner *esdb.Store, url string) *scoped {
	t.Helper()
	res := mustAppend(t, inner, "contract-marker", domain.Any(), events(1))
	return &scoped{inner: inner, url: url, ns: "c" + uuid.NewString()[:8] + "-", base: res.Position}
}

func (s *scoped) reopen(t *testing.T) *scoped {
	_ = s.inner.Close()
	return &scoped{inner: mustOpen(t, s.url), url: s.url, ns: s.ns, base: s.base}
}

// name keeps system streams system streams.
func (s *scoped) name(stream string) string {
	if rest, ok := strings.CutPrefix(stream, "$"); ok {
		return "$" + s.ns + rest
	}
	return s.ns + stream
}

func (s *scoped) unname(e domain.RecordedEvent) domain.RecordedEvent {
	if rest, ok := strings.CutPrefix(e.Stream, "$"+s.ns); ok {
		e.Stream = "$" + rest
	} else {
		e.Stream = strings.TrimPrefix(e.Stream, s.ns)
	}
	return e
}

func (s *scoped) unnameAll(evs []domain.RecordedEvent) []domain.RecordedEvent {
	for i := range evs {
		evs[i] = s.unname(evs[i])
	}
	return evs
}

// after keeps reads and subscriptions of all streams after the marker
// event that opened the scope: its position is an event's own, which
// EventStoreDB accepts.
func (s *scoped) after(a domain.After) domain.After { return max(a, domain.After(s.base)) }

func (s *scoped) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, evs []domain.EventData) (domain.AppendResult, error) {
	res, err := s.inner.Append(ctx, s.name(stream), expected, evs)
	var wev *domain.WrongExpectedVersionError
	if errors.As(err, &wev) {
		unscoped := *wev
		unscoped.Stream = stream
		return res, &unscoped
	}
	return res, err
}

func (s *scoped) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	evs, err := s.inner.ReadStream(ctx, s.name(stream), from, max)
	return s.unnameAll(evs), err
}

func (s *scoped) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
	var out []domain.RecordedEvent
	start := s.after(after)
	for len(out) < max {
		page, err := s.inner.ReadAll(ctx, start, max)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if strings.HasPrefix(e.Stream, s.ns) && len(out) < max {
				out = append(out, s.unname(e))
			}
		}
		if len(page) < max {
			break
		}
		start = domain.After(page[len(page)-1].Position)
	}
	return out, nil
}

func (s *scoped) wrap(h domain.Handler) domain.Handler {
	return func(ctx context.Context, e domain.RecordedEvent) error { return h(ctx, s.unname(e)) }
}

func (s *scoped) SubscribeToStream(ctx context.Context, stream string, from domain.Revision, h domain.Handler, o domain.SubscribeOptions) error {
	return s.inner.SubscribeToStream(ctx, s.name(stream), from, s.wrap(h), o)
}

func (s *scoped) SubscribeToAll(ctx context.Context, after domain.After, f domain.Filter, h domain.Handler, o domain.SubscribeOptions) error {
	return s.inner.SubscribeToAll(ctx, s.after(after), domain.Filter{StreamPrefix: s.ns + f.StreamPrefix}, s.wrap(h), o)
}

func (s *scoped) Ping(ctx context.Context) error { return s.inner.Ping(ctx) }

func (s *scoped) Close() error { return s.inner.Close() }
