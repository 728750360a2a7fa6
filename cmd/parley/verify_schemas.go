package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/eventschemas"
)

// verifySchemas checks every event of the embedded store in dir against
// its schema: reads trust what Parley wrote and no longer check it (ADR
// 32), so this is where an event that a bug, a foreign writer or a hand
// edit left invalid shows up. It fails when one does, naming the first.
func verifySchemas(ctx context.Context, dir string) error {
	reg, err := eventschemas.Load()
	if err != nil {
		return err
	}
	store, err := diskstore.Open(dir, diskstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := eventschemas.VerifyStore(ctx, store, reg)
	if err != nil {
		return err
	}
	fmt.Printf("schemas: %d events checked, %d fail their schema\n", rep.Events, rep.Invalid)
	for _, e := range rep.First {
		fmt.Printf("invalid event: %v\n", e)
	}
	if rep.Invalid > 0 {
		return fmt.Errorf("%d stored events fail their schema; Parley reads them as they are", rep.Invalid)
	}
	return nil
}
