package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// Read models that fold the whole history keep a snapshot under
// <data-dir>/readmodels, saved every snapshotEvery events or
// snapshotInterval and at shutdown, so that a start replays only the
// events after it: start-up then costs the events since the last
// snapshot, not every chat ever held.
const (
	snapshotEvery    = 100_000
	snapshotInterval = time.Minute
)

// readModelSnapshotter saves a read model's state to
// <data-dir>/readmodels/<name>.snapshot.
func (m *Main) readModelSnapshotter(name string, state func() any) *projections.Snapshotter {
	return &projections.Snapshotter{
		File:  projections.SnapshotFile{Path: filepath.Join(m.Config.DataDir, "readmodels", name+".snapshot")},
		Every: snapshotEvery, Interval: snapshotInterval, Logger: m.Logger,
		State: state,
	}
}

func (m *Main) connectorsSnapshotter(connectors *projections.Connectors) *projections.Snapshotter {
	return m.readModelSnapshotter("connectors", func() any { return connectors.State() })
}

// restoreConnectors loads the connectors' snapshot and returns the
// position the feed starts after: the snapshot's, when the store still
// holds the event it names there, else 0, the whole history.
func (m *Main) restoreConnectors(ctx context.Context, store domain.EventStore, connectors *projections.Connectors, file projections.SnapshotFile) domain.After {
	var st projections.ConnectorsState
	cp, ok := m.loadSnapshot(ctx, store, file, &st, "the connectors'")
	if !ok {
		return 0
	}
	connectors.Restore(st)
	m.Logger.Info("connectors restored from their snapshot", "after", cp.After, "conversations", len(st.Convs))
	return cp.After
}

func (m *Main) routingSnapshotter(board *projections.Routing) *projections.Snapshotter {
	return m.readModelSnapshotter("routing", func() any { return board.State() })
}

// restoreRouting loads the routing board's snapshot and returns the
// position the board has folded up to: the snapshot's, when it decodes,
// is of this version and the store still holds the event it names there,
// else 0, and the board is folded from the whole history, with a warning.
// The ended conversations are added after this returns (ADR 44); should
// they not decode, the error is logged and the board folded from the
// history (up to the snapshot, or to where the feed got) in the
// background instead.
func (m *Main) restoreRouting(ctx context.Context, store domain.EventStore, board *projections.Routing, file projections.SnapshotFile) domain.After {
	var st projections.RoutingState
	cp, ok := m.loadSnapshot(ctx, store, file, &st, "the routing board's")
	if !ok {
		return 0
	}
	board.Restore(&st, func(cause error, to domain.After) (*projections.Routing, error) {
		m.Logger.Error("the routing snapshot's ended conversations do not decode; folding the board from the whole history",
			"file", file.Path, "err", cause)
		fresh := projections.NewRouting()
		// Not the start's ctx: this runs after Run returned.
		to = max(to, cp.After)
		if err := fresh.Fold(context.Background(), store, 0, to); err != nil {
			return nil, err
		}
		m.Logger.Info("routing board folded from the history", "after", to)
		return fresh, nil
	})
	m.Logger.Info("routing board restored from its snapshot", "after", cp.After, "conversations", st.Conversations())
	return cp.After
}

// loadSnapshot loads file into st and gives its checkpoint, or false when
// there is no snapshot, it does not load, or the store does not hold the
// event it ends with (a snapshot of another store); then the read model
// folds the whole history. The last two are logged as warnings, with whose
// ("the connectors'") naming the read model.
func (m *Main) loadSnapshot(ctx context.Context, store domain.EventStore, file projections.SnapshotFile, st any, whose string) (projections.Checkpoint, bool) {
	cp, ok, err := file.Load(st)
	if err != nil {
		m.Logger.Warn("ignoring "+whose+" snapshot; folding the whole history", "err", err)
		return cp, false
	}
	if !ok {
		return cp, false
	}
	holds, err := cp.Holds(ctx, store)
	if err != nil || !holds {
		m.Logger.Warn("ignoring "+whose+" snapshot: the store does not hold the event it ends with; folding the whole history",
			"file", file.Path, "after", cp.After, "err", err)
		return cp, false
	}
	return cp, true
}

// nodeID returns the id this node's claims carry, kept in
// <data-dir>/node-id so that a restarted node is the same holder: it sends
// again at once what it had claimed and not finished, instead of waiting
// --claim-timeout for its own claims to lapse. Every node has a --data-dir
// of its own, so no two share an id.
func nodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "node-id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read the node id: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", fmt.Errorf("create the data directory: %w", err)
	}
	id := uuid.NewString()
	if err := os.WriteFile(path+".tmp", []byte(id+"\n"), 0o640); err != nil {
		return "", fmt.Errorf("write the node id: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return "", fmt.Errorf("write the node id: %w", err)
	}
	return id, nil
}
