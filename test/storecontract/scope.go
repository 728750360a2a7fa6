package storecontract

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
)

// Scope makes a store shared with other tests, such as a real EventStoreDB
// node, look like an empty store to one test: its stream names get a
// namespace, and reads of all streams see only that namespace, after the
// marker event appended when the scope was made. System streams stay
// system streams ("$" + namespace + name).
type Scope struct {
	inner domain.EventStore
	ns    string
	base  domain.After
}

var _ domain.EventStore = (*Scope)(nil)

// NewScope opens a fresh scope on inner.
func NewScope(t *testing.T, inner domain.EventStore) *Scope {
	t.Helper()
	id := uuid.NewString()
	res, err := inner.Append(testContext(t), "contract-marker", domain.Any(),
		[]domain.EventData{{ID: id, Type: "contract.marker.v1", Data: []byte(`{}`)}})
	if err != nil {
		t.Fatalf("open a scope: %v", err)
	}
	return &Scope{inner: inner, ns: "c" + id[:8] + "-", base: domain.After(res.Position)}
}

// On returns the same scope over another store on the same data, such as
// the store opened again.
func (s *Scope) On(inner domain.EventStore) *Scope {
	return &Scope{inner: inner, ns: s.ns, base: s.base}
}

// Inner returns the store the scope is on.
func (s *Scope) Inner() domain.EventStore { return s.inner }

func (s *Scope) name(stream string) string {
	if rest, ok := strings.CutPrefix(stream, "$"); ok {
		return "$" + s.ns + rest
	}
	return s.ns + stream
}

func (s *Scope) unname(e domain.RecordedEvent) domain.RecordedEvent {
	if rest, ok := strings.CutPrefix(e.Stream, "$"+s.ns); ok {
		e.Stream = "$" + rest
	} else {
		e.Stream = strings.TrimPrefix(e.Stream, s.ns)
	}
	return e
}

// after keeps reads and subscriptions of all streams after the marker
// event: its position is an event's own, which EventStoreDB accepts.
func (s *Scope) after(a domain.After) domain.After { return max(a, s.base) }

// Append implements domain.EventStore.
func (s *Scope) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, evs []domain.EventData) (domain.AppendResult, error) {
	res, err := s.inner.Append(ctx, s.name(stream), expected, evs)
	var wev *domain.WrongExpectedVersionError
	if errors.As(err, &wev) {
		unscoped := *wev
		unscoped.Stream = stream
		return res, &unscoped
	}
	return res, err
}

// ReadStream implements domain.EventStore.
func (s *Scope) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	evs, err := s.inner.ReadStream(ctx, s.name(stream), from, max)
	for i := range evs {
		evs[i] = s.unname(evs[i])
	}
	return evs, err
}

// ReadAll implements domain.EventStore.
func (s *Scope) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
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

func (s *Scope) wrap(h domain.Handler) domain.Handler {
	return func(ctx context.Context, e domain.RecordedEvent) error { return h(ctx, s.unname(e)) }
}

// SubscribeToStream implements domain.EventStore.
func (s *Scope) SubscribeToStream(ctx context.Context, stream string, from domain.Revision, h domain.Handler, o domain.SubscribeOptions) error {
	return s.inner.SubscribeToStream(ctx, s.name(stream), from, s.wrap(h), o)
}

// SubscribeToAll implements domain.EventStore.
func (s *Scope) SubscribeToAll(ctx context.Context, after domain.After, f domain.Filter, h domain.Handler, o domain.SubscribeOptions) error {
	return s.inner.SubscribeToAll(ctx, s.after(after), domain.Filter{StreamPrefix: s.ns + f.StreamPrefix}, s.wrap(h), o)
}

// Ping implements domain.EventStore.
func (s *Scope) Ping(ctx context.Context) error { return s.inner.Ping(ctx) }

// Close implements domain.EventStore.
func (s *Scope) Close() error { return s.inner.Close() }
