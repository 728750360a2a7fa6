//go:build unix

package projections_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// routingStores are BenchmarkRoutingStartup's histories, built once per
// test binary (not once per -count) in the scratch directory TestMain
// removes, with the snapshots of a node that ran to their end.
var routingStores struct {
	mu    sync.Mutex
	dirs  map[bool]string
	snaps map[string][2]projections.SnapshotFile
}

// routingStore returns the directory of a history of n conversations,
// routed or not, building it first.
func routingStore(b *testing.B, n int, routed bool) string {
	b.Helper()
	routingStores.mu.Lock()
	defer routingStores.mu.Unlock()
	if dir, ok := routingStores.dirs[routed]; ok {
		return dir
	}
	dir := scratchDir(b)
	start := time.Now()
	if err := fillRoutedStore(dir, n, routed); err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "BenchmarkRoutingStartup: built the store (routed %v) in %s\n", routed, time.Since(start).Round(time.Millisecond))
	if routingStores.dirs == nil {
		routingStores.dirs, routingStores.snaps = map[bool]string{}, map[string][2]projections.SnapshotFile{}
	}
	routingStores.dirs[routed] = dir
	return dir
}

// startSnapshots returns the snapshots of dir, saving them first.
func startSnapshots(b *testing.B, dir string) (connectors, board projections.SnapshotFile) {
	b.Helper()
	routingStores.mu.Lock()
	defer routingStores.mu.Unlock()
	if s, ok := routingStores.snaps[dir]; ok {
		return s[0], s[1]
	}
	connectors, board = saveStartSnapshots(b, dir)
	routingStores.snaps[dir] = [2]projections.SnapshotFile{connectors, board}
	return connectors, board
}

// saveStartSnapshots folds the history in dir once, as a node that ran
// until the end of it, and saves the connectors' and the routing board's
// snapshots there, as its shutdown does.
func saveStartSnapshots(b *testing.B, dir string) (connectors, board projections.SnapshotFile) {
	b.Helper()
	store := openChecked(b, dir)
	defer store.Close()
	x, r := projections.NewConnectors(), projections.NewRouting()
	connectors = projections.SnapshotFile{Path: filepath.Join(dir, "readmodels", "connectors.snapshot")}
	board = projections.SnapshotFile{Path: filepath.Join(dir, "readmodels", "routing.snapshot")}
	snaps := []*projections.Snapshotter{
		{File: connectors, Every: 1 << 30, Interval: time.Hour, Logger: quiet, State: func() any { return x.State() }},
		{File: board, Every: 1 << 30, Interval: time.Hour, Logger: quiet, State: func() any { return r.State() }},
	}
	replayFeedWith(b, store, func(ctx context.Context, e *projections.FeedEvent) error {
		if err := r.Consume(e); err != nil {
			return err
		}
		for _, s := range snaps {
			if err := s.Handle(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	for _, s := range snaps {
		s.Flush()
	}
	return connectors, board
}

// startFromSnapshots starts the read models as parley serve does: the
// connectors from their snapshot; the routing board from its own
// (withBoard), or, as before it had one, folded from the history up to the
// connectors' checkpoint; then the feed after that checkpoint until it has
// caught up.
func startFromSnapshots(b *testing.B, store domain.EventStore, connectors, board projections.SnapshotFile, withBoard bool) {
	b.Helper()
	ctx := context.Background()
	x, r := projections.NewConnectors(), projections.NewRouting()
	var st projections.ConnectorsState
	cp := restoreFrom(b, ctx, store, connectors, &st)
	x.Restore(st)
	var from domain.After
	if withBoard {
		var rs projections.RoutingState
		from = restoreFrom(b, ctx, store, board, &rs)
		r.Restore(&rs, nil)
	}
	for from < cp {
		recs, err := store.ReadAll(ctx, from, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, rec := range recs {
			if domain.After(rec.Position) > cp {
				break
			}
			if err := r.Consume(projections.NewFeedEvent(rec)); err != nil {
				b.Fatal(err)
			}
			from = domain.After(rec.Position)
		}
	}
	feedCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := projections.RunFeed(feedCtx, store, cp, quiet, cancel, func(_ context.Context, e *projections.FeedEvent) error {
		if err := r.Consume(e); err != nil {
			return err
		}
		return x.Apply(e)
	})
	if err != context.Canceled {
		b.Fatal(err)
	}
}

func restoreFrom(b *testing.B, ctx context.Context, store domain.EventStore, file projections.SnapshotFile, state any) domain.After {
	b.Helper()
	cp, ok, err := file.Load(state)
	if err != nil || !ok {
		b.Fatalf("load %s: %v, %v", file.Path, ok, err)
	}
	if holds, err := cp.Holds(ctx, store); err != nil || !holds {
		b.Fatalf("the checkpoint of %s does not hold: %v", file.Path, err)
	}
	return cp.After
}
