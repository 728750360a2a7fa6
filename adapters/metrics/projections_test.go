package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// projectionGauge returns the value of family for projection name, and
// whether the scrape had it.
func projectionGauge(t *testing.T, m *Metrics, family, name string) (float64, bool) {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
		for _, s := range f.GetMetric() {
			if s.GetLabel()[0].GetValue() == name {
				return s.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func appendTo(t *testing.T, s domain.EventStore, stream string, n int) {
	t.Helper()
	for range n {
		e := domain.EventData{ID: uuid.NewString(), Type: "Noted", Data: []byte(`{}`)}
		if _, err := s.Append(t.Context(), stream, domain.Any(), []domain.EventData{e}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProjectionLag: given a projection of the conversation streams
// subscribed through Projection, its lag in events counts the events of its
// streams after the last one it handled (other streams do not count), its
// lag in seconds is the age of the oldest of them, and both fall to 0 when
// it catches up.
func TestProjectionLag(t *testing.T) {
	store, err := diskstore.Open(t.TempDir(), diskstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := New()
	tracked := m.Projection("transcripts", store)
	if _, ok := projectionGauge(t, m, "parley_projection_lag_events", "transcripts"); ok {
		t.Fatal("a projection that has not subscribed yet has a lag")
	}
	appendTo(t, store, domain.StreamPrefix+"a", 3)
	appendTo(t, store, "agent-ann", 4) // not its streams
	appendTo(t, store, domain.StreamPrefix+"b", 2)

	release := make(chan struct{})
	caughtUp := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- tracked.SubscribeToAll(ctx, 0, domain.Filter{StreamPrefix: domain.StreamPrefix},
			func(ctx context.Context, _ domain.RecordedEvent) error {
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}, domain.SubscribeOptions{OnCaughtUp: func() { caughtUp <- struct{}{} }})
	}()
	t.Cleanup(func() { cancel(); <-done })

	lagIs := func(step string, want float64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, ok := projectionGauge(t, m, "parley_projection_lag_events", "transcripts")
			if ok && got == want {
				secs, _ := projectionGauge(t, m, "parley_projection_lag_seconds", "transcripts")
				if want == 0 && secs != 0 || want > 0 && (secs < 0 || secs > 60) {
					t.Fatalf("%s: lag %v s with %v events behind", step, secs, want)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: lag_events = %v (present %v), want %v", step, got, ok, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	lagIs("nothing handled", 5)
	for i, want := range []float64{4, 3, 2, 1, 0} {
		release <- struct{}{}
		lagIs(fmt.Sprintf("%d handled", i+1), want)
	}
	<-caughtUp
	appendTo(t, store, "agent-ann", 3)
	lagIs("caught up, other streams written", 0)
	appendTo(t, store, domain.StreamPrefix+"c", 1)
	lagIs("a new event of its streams", 1)
	release <- struct{}{}
	lagIs("caught up again", 0)
	if pos, _ := projectionGauge(t, m, "parley_projection_position", "transcripts"); pos == 0 {
		t.Fatal("the position did not move")
	}
}
