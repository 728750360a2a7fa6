package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/adapters/keyfile"
	"github.com/parley-chat/parley/adapters/personaldata"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/erasure"
)

// secretFileName is the blind index's secret in the data directory, when
// --personal-data-secret names no other file.
const secretFileName = "personal-data.secret"

// personalDataSecret is the file of the blind index's secret.
func personalDataSecret(cfg ServeConfig) string {
	if cfg.PersonalDataSecret != "" {
		return cfg.PersonalDataSecret
	}
	return filepath.Join(cfg.DataDir, secretFileName)
}

// sealPersonalData puts the personal data store over checked: the keys live
// in a key file beside the embedded store, or in key streams on
// EventStoreDB (raw is the adapter under checked).
func sealPersonalData(cfg ServeConfig, raw, checked domain.EventStore) (*personaldata.Store, error) {
	secret, err := personaldata.LoadSecret(personalDataSecret(cfg))
	if err != nil {
		return nil, err
	}
	var keys domain.PersonalDataKeys
	if st, ok := raw.(*esdb.Store); ok {
		keys = st.Keys()
	} else {
		if keys, err = keyfile.Open(filepath.Join(cfg.DataDir, keyfile.Name)); err != nil {
			return nil, err
		}
	}
	return personaldata.New(personaldata.Config{Store: checked, Keys: keys, Secret: secret})
}

// newEraser erases through sealed: its key cache forgets an erased key at
// once, and the customer's conversations are found below it, where nothing
// needs opening.
func newEraser(sealed *personaldata.Store) *erasure.Eraser {
	return &erasure.Eraser{Store: sealed, History: sealed.Below(), Keys: sealed.Keys(), Now: time.Now}
}

const eraseUsage = `Usage: parley erase --customer ID [--data-dir D | --store URL]

Erases a customer's personal data: destroys their data key, so that every
value sealed with it reads as [erased], and records PersonalDataErased on
each of their conversations. ID is the customerId the conversation view
shows. Running it again is safe. An embedded store must not be in use: stop
its server first (or use DELETE /api/customers/ID/personal-data).

Flags:
`

// eraseCommand runs "parley erase".
func eraseCommand(ctx context.Context, args []string) error {
	var cfg ServeConfig
	var customer string
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), eraseUsage); fs.PrintDefaults() }
	fs.StringVar(&customer, "customer", "", "the customerId whose personal data to erase")
	fs.StringVar(&cfg.DataDir, "data-dir", "./data", "data directory: the embedded event store and its key file")
	fs.StringVar(&cfg.Store, "store", "", "event store: empty for the embedded store in --data-dir, or an EventStoreDB connection string")
	fs.StringVar(&cfg.PersonalDataSecret, "personal-data-secret", "", "file of the blind index's secret (default: personal-data.secret in --data-dir)")
	fs.StringVar(&cfg.LogLevel, "log-level", "warn", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if customer == "" {
		fs.Usage()
		return errors.New("erase: --customer is required")
	}
	logger, err := newLogger(cfg.LogLevel, "text")
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := newEraser(store).Erase(ctx, customer)
	if err != nil {
		return fmt.Errorf("erase %s: %s", customer, domain.ErrorMessage(err))
	}
	fmt.Fprintf(os.Stderr, "erased customer %s: %d conversations, %d erasures recorded now\n", customer, len(res.Conversations), res.Recorded)
	return nil
}
