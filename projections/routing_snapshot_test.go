//go:build unix

package projections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/routing"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/benchdata"
)

// appendOpenRouted appends conversations from..to-1 that are still open:
// even ones waiting in the queue, odd ones assigned to agent-ready, whose
// agentState made it ready until far in the future.
func appendOpenRouted(t *testing.T, dir string, from, to int) {
	t.Helper()
	s, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	base := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	if from == 0 {
		ready, err := routing.Encode(domain.NameUUID("agent-ready-state"), routing.AgentStateChanged{AgentID: "agent-ready",
			State: routing.StateReady, Capacity: 100, LeaseUntil: base.Add(1000 * time.Hour), Timestamp: base}, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, routing.AgentStream("agent-ready"), domain.Any(), []domain.EventData{ready}); err != nil {
			t.Fatal(err)
		}
	}
	for i := from; i < to; i++ {
		id := domain.NameUUID(fmt.Sprint("open-routed-", i))
		start := base.Add(time.Duration(i) * time.Second)
		evs, err := benchdata.Conversation(benchdata.Spec{ID: id, Channel: "web", Messages: 2, Start: start, Queue: "default"})
		if err == nil {
			_, err = s.Append(ctx, domain.StreamName(id), domain.NoStream(), evs)
		}
		if err == nil && i%2 == 1 {
			var ticket, claims []domain.EventData
			if ticket, claims, err = routedEvents(id, "agent-ready", start); err == nil {
				if _, err = s.Append(ctx, routing.TicketStream(id), domain.NoStream(), ticket); err == nil {
					_, err = s.Append(ctx, routing.AgentStream("agent-ready"), domain.Any(), claims)
				}
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// foldRouting runs the feed after after into board (and snap, when given)
// until it has caught up.
func foldRouting(t *testing.T, dir string, after domain.After, board *projections.Routing, snap *projections.Snapshotter) {
	t.Helper()
	s, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	consumers := []projections.FeedHandler{func(_ context.Context, e *projections.FeedEvent) error { return board.Consume(e) }}
	if snap != nil {
		consumers = append(consumers, snap.Handle)
	}
	if err := projections.RunFeed(ctx, s, after, quiet, cancel, consumers...); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// routingViews is what the staff's view shows of a board at now.
func routingViews(r *projections.Routing, now time.Time) string {
	rows, _, err := r.Conversations(context.Background(), projections.ConversationFilter{Limit: 1 << 20})
	if err != nil {
		return "conversations: " + err.Error()
	}
	agents := r.Agents([]string{"default", "billing"}, now)
	for _, a := range agents {
		slices.Sort(a.Assigned) // a map's order
	}
	return fmt.Sprintf("queues %+v\nagents %+v\nconversations %+v", r.Queues([]string{"default", "billing"}, now), agents, rows)
}

// A board restored from its snapshot, plus the history after it, shows the
// staff the same queues, agents and conversations as a fold of the whole
// history; a damaged snapshot or one of another version is refused.
// routedSnapshot writes a history of 40 ended routed conversations and 10
// open ones (queued and assigned) in dir, the routing snapshot of a node
// that folded it, and 6 more open conversations after that snapshot.
func routedSnapshot(t *testing.T, dir string) projections.SnapshotFile {
	t.Helper()
	if err := fillRoutedStore(dir, 40, true); err != nil {
		t.Fatal(err)
	}
	appendOpenRouted(t, dir, 0, 10)
	first := projections.NewRouting()
	snap := &projections.Snapshotter{File: projections.SnapshotFile{Path: filepath.Join(t.TempDir(), "rm", "routing.snapshot")},
		Every: 1 << 30, Interval: time.Hour, State: func() any { return first.State() }, Logger: quiet}
	foldRouting(t, dir, 0, first, snap)
	snap.Flush()
	appendOpenRouted(t, dir, 10, 16)
	return snap.File
}

func TestRoutingSnapshotResumesAsAFullFold(t *testing.T) {
	// Given ended routed conversations, open ones (queued and assigned),
	// a node that folded them and saved its snapshot, and more open
	// conversations after the snapshot,
	dir := t.TempDir()
	file := routedSnapshot(t, dir)
	snap := &projections.Snapshotter{File: file}

	// when a node restores the snapshot and folds what follows it,
	var st projections.RoutingState
	cp, ok, err := snap.File.Load(&st)
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	if st.Conversations() != 50 {
		t.Fatalf("the snapshot holds %d conversations, want 50 (ended ones too: the staff's list shows them)", st.Conversations())
	}
	resumed := projections.NewRouting()
	resumed.Restore(&st, nil)
	foldRouting(t, dir, cp.After, resumed, nil)

	// then the board, its ended conversations added, is the fold of the
	// whole history, and the staff sees what that fold shows.
	whole := projections.NewRouting()
	foldRouting(t, dir, 0, whole, nil)
	if got, want := projections.BoardDump(resumed), projections.BoardDump(whole); got != want {
		t.Fatalf("the resumed board differs from a fold of the whole history:\n%s\nwant:\n%s", got, want)
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	got, want := routingViews(resumed, now), routingViews(whole, now)
	if got != want {
		g, w := strings.Fields(got), strings.Fields(want)
		i := 0
		for i < min(len(g), len(w)) && g[i] == w[i] {
			i++
		}
		t.Fatalf("resumed from the snapshot differs from a fold of the whole history at word %d: %q, want %q",
			i, g[i:min(len(g), i+12)], w[i:min(len(w), i+12)])
	}
	if q := whole.Queues([]string{"default"}, now)[0]; q.Waiting != 8 || q.AgentsReady != 1 {
		t.Fatalf("default queue = %+v, want 8 waiting and 1 ready agent: the test checks too little", q)
	}

	// A snapshot whose bytes changed, or of another version, is refused.
	data, err := os.ReadFile(snap.File.Path)
	if err != nil {
		t.Fatal(err)
	}
	damaged := projections.SnapshotFile{Path: filepath.Join(t.TempDir(), "routing.snapshot")}
	for name, corrupt := range map[string]func([]byte) []byte{
		"a flipped bit":   func(b []byte) []byte { b[len(b)-5] ^= 1; return b },
		"a torn tail":     func(b []byte) []byte { return b[:len(b)-7] },
		"another version": func(b []byte) []byte { return bumpVersion(t, b) },
	} {
		if err := os.WriteFile(damaged.Path, corrupt(slicesClone(data)), 0o600); err != nil {
			t.Fatal(err)
		}
		var st projections.RoutingState
		if _, ok, err := damaged.Load(&st); err == nil || ok {
			t.Errorf("%s: Load = %v, %v; want an error", name, ok, err)
		}
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// bumpVersion rewrites a routing snapshot as one of a later version, with a
// header (length, checksum) that holds, as a later Parley would write it.
func bumpVersion(t *testing.T, file []byte) []byte {
	t.Helper()
	var st projections.RoutingState
	path := filepath.Join(t.TempDir(), "in.snapshot")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	cp, _, err := projections.SnapshotFile{Path: path}.Load(&st)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := projections.NewRouting().State().MarshalBinary()
	body[0]++ // the version is the first uvarint
	if err := (projections.SnapshotFile{Path: path}).Save(cp, rawState(body)); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawState saves bytes as they are.
type rawState []byte

func (r rawState) MarshalBinary() ([]byte, error) { return r, nil }
