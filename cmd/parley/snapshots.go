package main

import (
	"context"
	"path/filepath"
	"time"

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

func (m *Main) connectorsSnapshotter(connectors *projections.Connectors) *projections.Snapshotter {
	return &projections.Snapshotter{
		File:  projections.SnapshotFile{Path: filepath.Join(m.Config.DataDir, "readmodels", "connectors.snapshot")},
		Every: snapshotEvery, Interval: snapshotInterval, Logger: m.Logger,
		State: func() any { return connectors.State() },
	}
}

// restoreConnectors loads the connectors' snapshot and returns the
// position the feed starts after: the snapshot's, when the store still
// holds the event it names there, else 0, the whole history.
func (m *Main) restoreConnectors(ctx context.Context, store domain.EventStore, connectors *projections.Connectors, file projections.SnapshotFile) domain.After {
	var st projections.ConnectorsState
	cp, ok, err := file.Load(&st)
	if err != nil {
		m.Logger.Warn("ignoring the connectors' snapshot; folding the whole history", "err", err)
		return 0
	}
	if !ok {
		return 0
	}
	holds, err := cp.Holds(ctx, store)
	if err != nil || !holds {
		m.Logger.Warn("ignoring the connectors' snapshot: the store does not hold the event it ends with; folding the whole history",
			"file", file.Path, "after", cp.After, "err", err)
		return 0
	}
	connectors.Restore(st)
	m.Logger.Info("connectors restored from their snapshot", "after", cp.After, "conversations", len(st.Convs))
	return cp.After
}
