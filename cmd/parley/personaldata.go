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
	"github.com/parley-chat/parley/domain/chain"
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

// eraseWith is the REST API's erasure, through sealed.
func eraseWith(sealed *personaldata.Store) func(ctx context.Context, customerID string) error {
	return func(ctx context.Context, customerID string) error {
		_, err := newEraser(sealed).Erase(ctx, customerID)
		return err
	}
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

// sealTarget wraps a migration's target in the hash chain and the personal
// data store, so that plaintext history is sealed on its way in, sealed
// history brings its keys along from the source, and the target's chain
// covers the ciphertext. It returns the store and what closes its
// key stores (the event stores are closed by the caller).
func sealTarget(dst storeSpec, target domain.EventStore, src storeSpec, source domain.EventStore, secretFile string) (*personaldata.Store, func() error, error) {
	secretFile, err := migrationSecret(dst, src, secretFile)
	if err != nil {
		return nil, nil, err
	}
	secret, err := personaldata.LoadSecret(secretFile)
	if err != nil {
		return nil, nil, err
	}
	keys, err := migrationKeys(dst, target, true)
	if err != nil {
		return nil, nil, err
	}
	from, err := migrationKeys(src, source, false)
	if err != nil {
		return nil, nil, errors.Join(err, keys.Close())
	}
	closeKeys := func() error {
		if from == nil {
			return keys.Close()
		}
		return errors.Join(keys.Close(), from.Close())
	}
	// Sealing rewrites data, so the copy appends through the hash chain
	// (ADR 40): it computes every hash again, the same as the source's for
	// an event copied unchanged, a new one over the ciphertext otherwise.
	chained := chain.New(target, chain.Options{})
	sealed, err := personaldata.New(personaldata.Config{Store: chained, Keys: keys, Secret: secret, Source: from})
	if err != nil {
		return nil, nil, errors.Join(err, closeKeys())
	}
	return sealed, closeKeys, nil
}

// migrationKeys returns the key store of a migration's store: its key
// streams, or the key file beside an embedded store (nil for a source
// without one: it holds no sealed history).
func migrationKeys(spec storeSpec, st domain.EventStore, create bool) (domain.PersonalDataKeys, error) {
	if es, ok := st.(*esdb.Store); ok {
		return es.Keys(), nil
	}
	path := filepath.Join(spec.dir, keyfile.Name)
	if _, err := os.Stat(path); err != nil && !create {
		return nil, nil
	}
	return keyfile.Open(path)
}

// migrationSecret picks the blind index secret of a migration's target: the
// one given; else an embedded target's own, which starts as a copy of an
// embedded source's, so that customers keep their ids; else an embedded
// source's (the EventStoreDB nodes then need that file).
func migrationSecret(dst, src storeSpec, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	var fromSource string
	if src.dir != "" {
		if p := filepath.Join(src.dir, secretFileName); fileExists(p) {
			fromSource = p
		}
	}
	if dst.dir == "" {
		if fromSource == "" {
			return "", errors.New("migrate: --personal-data-secret is required for an EventStoreDB target: the file of the secret its nodes will use")
		}
		fmt.Fprintf(os.Stderr, "sealing with the source's secret %s: start the EventStoreDB nodes with --personal-data-secret pointing to a copy of it\n", fromSource)
		return fromSource, nil
	}
	target := filepath.Join(dst.dir, secretFileName)
	if fromSource != "" && !fileExists(target) {
		raw, err := os.ReadFile(fromSource)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(dst.dir, 0o700); err != nil {
			return "", err
		}
		if err := os.WriteFile(target, raw, 0o600); err != nil {
			return "", err
		}
	}
	return target, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
