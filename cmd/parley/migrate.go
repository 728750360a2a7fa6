package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/migration"
	"github.com/parley-chat/parley/eventschemas"
)

const migrateUsage = `Usage: parley migrate --from STORE --to STORE

Checks every event of the source against its schema, then copies every
stream of one event store into another, in order, with each
event's id, type, data, metadata, revision and recorded time; then checks
that every stream holds the same events on both sides, comparing each
event's id, type, data and metadata. Customers' personal data written
before encryption is sealed on the way (ADR 41): such events are compared
by id and type; sealed history is copied as it is, with its keys. It
reports how many events it copied and how many the target held already. Running it again is safe: what the
target holds already is not copied twice.

STORE is an EventStoreDB connection string (esdb://host:2113?tls=false,
esdb+discover://...), or the data directory of an embedded store, as a path
or as embedded:PATH. An embedded source must not be in use: stop the Parley
server that runs on it first.

Flags:
`

// migrateCommand runs "parley migrate".
func migrateCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), migrateUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "the store to copy from")
	to := fs.String("to", "", "the store to copy into")
	logLevel := fs.String("log-level", "warn", "log level of the stores: debug, info, warn or error")
	secretFile := fs.String("personal-data-secret", "", "file of the target's blind index secret (default: personal-data.secret in an embedded target's directory; required for EventStoreDB)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(*logLevel, "text")
	if err != nil {
		return err
	}
	src, dst := parseStoreSpec("--from", *from), parseStoreSpec("--to", *to)
	if err := errors.Join(src.err, dst.err); err != nil {
		return err
	}
	if src.same(dst) {
		return fmt.Errorf("--from and --to are the same store (%s)", src)
	}
	source, err := src.open(ctx, false, logger)
	if err != nil {
		return err
	}
	defer source.Close()
	target, err := dst.open(ctx, true, logger)
	if err != nil {
		return err
	}
	defer target.Close()

	reg, err := eventschemas.Load()
	if err != nil {
		return err
	}
	sealed, closeKeys, err := sealTarget(dst, target, src, source, *secretFile)
	if err != nil {
		return err
	}
	defer closeKeys()

	progress := newMigrateProgress(os.Stderr)
	c := migration.New(source, sealed, migration.Options{Progress: progress.update, Check: reg.CheckRecorded, Sealing: true, Stored: target})
	rep, err := c.Run(ctx)
	progress.done()
	if err != nil {
		var verr *migration.VerifyError
		if errors.As(err, &verr) || rep.Events == 0 {
			return fmt.Errorf("migrate: %w", err)
		}
		return fmt.Errorf("migrate: stopped after %d events; fix the cause and run it again to resume: %w", rep.Events, err)
	}
	rate := float64(rep.Events) / max(rep.Took.Seconds(), 1e-3)
	fmt.Fprintf(os.Stderr, "%d events of %d streams from %s to %s: %d copied, %d there already; in %s (%.0f events/s, %d appends)\n",
		rep.Events, rep.Streams, src, dst, rep.Copied, rep.Existing, rep.Took.Round(time.Millisecond), rate, rep.Appends)
	fmt.Fprintf(os.Stderr, "verified: the %d streams hold the same %d events on both sides, each with the same id, type, data and metadata\n", rep.Streams, rep.Events)
	return nil
}

// storeSpec is a parsed --from or --to.
type storeSpec struct {
	flag string
	url  string // EventStoreDB connection string, or
	dir  string // embedded store's data directory
	err  error
}

func parseStoreSpec(flagName, v string) storeSpec {
	s := storeSpec{flag: flagName}
	switch {
	case v == "":
		s.err = fmt.Errorf("%s is required: an esdb:// connection string or an embedded store's data directory", flagName)
	case strings.HasPrefix(v, "esdb://") || strings.HasPrefix(v, "esdb+discover://"):
		s.url = v
	case strings.Contains(v, "://"):
		s.err = fmt.Errorf("%s %q: use an esdb:// connection string or an embedded store's data directory", flagName, v)
	default:
		dir := strings.TrimPrefix(v, "embedded:")
		if dir == "" {
			s.err = fmt.Errorf("%s embedded: needs a directory: embedded:PATH", flagName)
		} else if s.dir, s.err = filepath.Abs(dir); s.err != nil {
			s.err = fmt.Errorf("%s: %w", flagName, s.err)
		}
	}
	return s
}

func (s storeSpec) same(o storeSpec) bool {
	return s.url == o.url && s.dir == o.dir
}

// String names the store without the password a connection string may hold.
func (s storeSpec) String() string {
	if s.dir != "" {
		return "embedded:" + s.dir
	}
	if u, err := url.Parse(s.url); err == nil {
		return u.Redacted()
	}
	return "EventStoreDB"
}

// open opens the raw store: not schema-checked, so that events are copied
// byte for byte, old schema versions included. Only a target is created.
func (s storeSpec) open(ctx context.Context, create bool, logger *slog.Logger) (domain.EventStore, error) {
	if s.url != "" {
		st, err := esdb.Open(ctx, s.url, logger)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.flag, s, err)
		}
		return st, nil
	}
	if !create {
		if _, err := os.Stat(filepath.Join(s.dir, diskstore.LogFile)); err != nil {
			return nil, fmt.Errorf("%s %s: no embedded event store there (%w)", s.flag, s.dir, err)
		}
	}
	st, err := diskstore.Open(s.dir, diskstore.Options{Logger: logger})
	if errors.Is(err, diskstore.ErrLocked) {
		return nil, fmt.Errorf("%s %s: the embedded store is in use, most likely by a running parley serve; "+
			"stop it before migrating (%w)", s.flag, s.dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.flag, s.dir, err)
	}
	return st, nil
}

// migrateProgress draws "[#####.....] 512/1024 events, 300/s, 2s left" on a
// terminal, at most every 100ms; on anything else it draws nothing.
type migrateProgress struct {
	out   *os.File
	on    bool
	start time.Time
	last  time.Time
	drew  bool
}

func newMigrateProgress(out *os.File) *migrateProgress {
	return &migrateProgress{out: out, on: term.IsTerminal(int(out.Fd()))}
}

func (p *migrateProgress) update(done, total int) {
	if p.start.IsZero() {
		// The rate counts from the first append, not from the counting pass.
		p.start = time.Now()
	}
	if !p.on || done < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.drew = time.Now(), true
	const width = 30
	filled := width * done / max(total, 1)
	rate := float64(done) / max(time.Since(p.start).Seconds(), 1e-3)
	left := time.Duration(float64(total-done) / max(rate, 1) * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(p.out, "\r[%s%s] %d/%d events, %.0f/s, %s left  ", strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), done, total, rate, left)
}

func (p *migrateProgress) done() {
	if p.drew {
		fmt.Fprintln(p.out)
	}
}
