package projections_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
	"github.com/parley-chat/parley/projections"
)

// smsHistory stores, on conversations of channel sms from n0 to n1, an
// agent's messages, a delivery of some, and an end for every third.
func smsHistory(t *testing.T, svc *conversations.Service, n0, n1 int) {
	t.Helper()
	ctx := t.Context()
	if err := svc.RegisterConnector(ctx, domain.RegisterConnector{ID: "sms", Channel: "sms", Connection: "c"}, domain.Metadata{}); err != nil {
		t.Fatal(err)
	}
	for i := n0; i < n1; i++ {
		started, err := svc.Start(ctx, domain.StartConversation{Channel: "sms",
			Personal: domain.PersonalData{RefID: fmt.Sprintf("+1555%04d", i%7)}}, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		id := started.ConversationID
		if _, err := svc.Execute(ctx, id, domain.JoinConversation{Participant: agent}, domain.Metadata{}); err != nil {
			t.Fatal(err)
		}
		for k := range i%4 + 1 {
			msg := domain.Message{Type: domain.TypeChatMessage, From: agent, Text: fmt.Sprintf("reply %d", k)}
			res, err := svc.Execute(ctx, id, domain.PostMessage{Message: msg}, domain.Metadata{})
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 && i%2 == 0 {
				last := res.Events[len(res.Events)-1]
				seq := last.Revision
				if err := svc.RecordDelivery(ctx, domain.RecordDelivery{MessageID: last.Event.(domain.Message).ID,
					ConversationID: id, Sequence: seq, Channel: "sms", Connector: "sms"}, domain.Metadata{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if i%3 == 0 {
			if _, err := svc.Execute(ctx, id, domain.EndConversation{By: agent}, domain.Metadata{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// feedUntilCaughtUp runs the feed after after into x (and the snapshotter,
// when given) until it has caught up, then stops it.
func feedUntilCaughtUp(t *testing.T, store domain.EventStore, after domain.After, x *projections.Connectors, snap *projections.Snapshotter) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	consumers := []projections.FeedHandler{func(_ context.Context, fe *projections.FeedEvent) error { return x.Apply(fe) }}
	if snap != nil {
		consumers = append(consumers, snap.Handle)
	}
	caughtUp := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = projections.RunFeed(ctx, store, after, slog.New(slog.NewTextHandler(io.Discard, nil)),
			func() { caughtUp <- struct{}{} }, consumers...)
	}()
	select {
	case <-caughtUp:
	case <-time.After(20 * time.Second):
		t.Fatal("the feed did not catch up within 20s")
	}
	cancel()
	<-done
}

func sortedState(x *projections.Connectors) projections.ConnectorsState {
	st := x.State()
	slices.Sort(st.Channels)
	slices.SortFunc(st.Convs, func(a, b projections.OutboxState) int { return strings.Compare(a.Conv, b.Conv) })
	return st
}

// A start from the connectors' snapshot plus the history after it gives the
// same read model as a fold of the whole history.
func TestConnectorsSnapshotResumesAsAFullFold(t *testing.T) {
	tests := []struct {
		name          string
		before, after int // conversations stored before the snapshot, and after it
	}{
		{"snapshot mid-history", 20, 20},
		{"snapshot at the end", 30, 0},
		{"snapshot of the first conversation", 1, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a history, and a node that folded it and saved a snapshot
			store := openStore(t)
			svc := newService(t, store)
			smsHistory(t, svc, 0, tt.before)
			first := projections.NewConnectors()
			snap := &projections.Snapshotter{File: projections.SnapshotFile{Path: filepath.Join(t.TempDir(), "rm", "connectors.snapshot")},
				Every: 1 << 30, Interval: time.Hour, State: func() any { return first.State() },
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			feedUntilCaughtUp(t, store, 0, first, snap)
			snap.Flush()
			// and more history after the snapshot
			smsHistory(t, svc, tt.before, tt.before+tt.after)

			// when a node restores the snapshot and folds what follows it
			var st projections.ConnectorsState
			cp, ok, err := snap.File.Load(&st)
			if err != nil || !ok {
				t.Fatalf("Load = %v, %v", ok, err)
			}
			if holds, err := cp.Holds(t.Context(), store); err != nil || !holds {
				t.Fatalf("the checkpoint %+v does not hold on its own store: %v", cp, err)
			}
			resumed := projections.NewConnectors()
			resumed.Restore(st)
			feedUntilCaughtUp(t, store, cp.After, resumed, nil)

			// then it equals a fold of the whole history.
			whole := projections.NewConnectors()
			feedUntilCaughtUp(t, store, 0, whole, nil)
			if got, want := sortedState(resumed), sortedState(whole); !reflect.DeepEqual(got, want) {
				t.Fatalf("resumed from the snapshot:\n%+v\nfolded whole:\n%+v", got, want)
			}
			if len(sortedState(whole).Convs) == 0 {
				t.Fatal("the history left no conversation to follow; the test checks nothing")
			}
		})
	}
}

// A checkpoint names an event by position, stream, revision and id; on a
// store that does not hold that event there (another store, a migration),
// it does not hold, and the read model folds the whole history instead.
func TestCheckpointHoldsOnlyOnItsStore(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store)
	smsHistory(t, svc, 0, 2)
	recs, err := store.ReadAll(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	real := projections.CheckpointOf(recs[len(recs)-1])
	other := real
	other.EventID = "00000000-0000-4000-8000-000000000000"
	moved := real
	moved.After++
	gone := real
	gone.Stream = "conversation-none"
	for name, c := range map[string]struct {
		cp   projections.Checkpoint
		want bool
	}{
		"its own event":                 {real, true},
		"the start":                     {projections.Checkpoint{}, true},
		"another event there":           {other, false},
		"the event at another position": {moved, false},
		"a stream the store lacks":      {gone, false},
	} {
		got, err := c.cp.Holds(t.Context(), store)
		if err != nil || got != c.want {
			t.Errorf("%s: Holds = %v, %v; want %v", name, got, err, c.want)
		}
	}
}

// Given a snapshotter whose turn is hours away, when the feed hands it an
// erasure of personal data, then it saves the state at once, covering the
// erasure: an earlier snapshot may hold the erased customer's name.
func TestSnapshotterSavesAnErasureAtOnce(t *testing.T) {
	states := 0
	snap := &projections.Snapshotter{File: projections.SnapshotFile{Path: filepath.Join(t.TempDir(), "rm", "board.snapshot")},
		Every: 1 << 30, Interval: time.Hour, State: func() any { states++; return map[string]int{"state": states} },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	event := func(typ string, pos uint64) *projections.FeedEvent {
		return projections.NewFeedEvent(domain.RecordedEvent{Type: typ, Stream: domain.StreamName("c1"), Revision: domain.Revision(pos - 1),
			Position: pos, ID: fmt.Sprint("00000000-0000-4000-8000-00000000000", pos)})
	}
	for pos, typ := range []string{domain.EventChatMessage, domain.EventChatMessage, domain.EventPersonalDataErased} {
		if err := snap.Handle(t.Context(), event(typ, uint64(pos+1))); err != nil {
			t.Fatal(err)
		}
	}
	// A second erasure waits for the first one's save, then saves again.
	if err := snap.Handle(t.Context(), event(domain.EventPersonalDataErased, 4)); err != nil {
		t.Fatal(err)
	}
	snap.Flush()
	var st map[string]int
	cp, ok, err := snap.File.Load(&st)
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v: no snapshot was saved", ok, err)
	}
	if cp.After != 4 || st["state"] != 2 {
		t.Fatalf("snapshot after %d with state %v, want after 4 with the second state", cp.After, st)
	}
}
