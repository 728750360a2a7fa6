package metrics

import (
	"context"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// nopStore appends nothing: the benchmark measures the decorator alone.
type nopStore struct{ domain.EventStore }

func (nopStore) Append(context.Context, string, domain.ExpectedRevision, []domain.EventData) (domain.AppendResult, error) {
	return domain.AppendResult{}, nil
}

// BenchmarkStoreDecorator is what counting and timing one append of one
// event adds to it.
func BenchmarkStoreDecorator(b *testing.B) {
	s := New().Store(nopStore{})
	events := []domain.EventData{{ID: "e", Type: domain.EventChatMessage}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = s.Append(ctx, "conversation-c", domain.Any(), events)
	}
}
