package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/adapters/personaldata"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
	"github.com/parley-chat/parley/eventschemas"
)

// openStore opens the configured event store, checked against the event
// schemas on every append and read, hash-chained on append (ADR 40): the
// chain sits above the schema check, so that the hash covers the bytes the
// store keeps, and its Verify reads the raw store; and with customers'
// personal data sealed above the chain, so that it chains the ciphertext
// (personaldata.go, ADR 41).
func openStore(ctx context.Context, cfg ServeConfig, logger *slog.Logger) (*personaldata.Store, error) {
	reg, err := eventschemas.Load()
	if err != nil {
		return nil, err
	}
	var inner domain.EventStore
	switch {
	case isEmbedded(cfg):
		inner, err = diskstore.Open(cfg.DataDir, diskstore.Options{Logger: logger})
	case strings.HasPrefix(cfg.Store, "esdb://") || strings.HasPrefix(cfg.Store, "esdb+discover://"):
		inner, err = esdb.Open(ctx, cfg.Store, logger)
	default:
		return nil, fmt.Errorf("--store %q: use empty for the embedded store or an esdb:// connection string", cfg.Store)
	}
	if err != nil {
		return nil, err
	}
	chained := chain.New(eventschemas.Checked(inner, reg), chain.Options{Raw: inner})
	sealed, err := sealPersonalData(cfg, inner, chained)
	if err != nil {
		return nil, errors.Join(err, inner.Close())
	}
	return sealed, nil
}

// isEmbedded reports whether cfg asks for the embedded store.
func isEmbedded(cfg ServeConfig) bool { return cfg.Store == "" || cfg.Store == "embedded" }

func storeName(cfg ServeConfig) string {
	if isEmbedded(cfg) {
		return "embedded:" + cfg.DataDir
	}
	return "eventstoredb"
}
