package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/parley-chat/parley/adapters/personaldata"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
)

const auditUsage = `Usage: parley audit verify [--conversation ID | --all-streams] [--store STORE | --data-dir DIR]

Checks the hash chain of every conversation stream (or of one conversation,
or, with --all-streams, of every stream: routing, presence, claims...)
on the bytes the store holds (ADR 40), and prints a summary: how many
streams and events were checked, how many events were stored before the
chain (no hash; not a break), and every stream whose chain is broken, with
the sequence of the first bad event. It exits non-zero on any break.

STORE is an EventStoreDB connection string (esdb://host:2113?tls=false) or
an embedded store's data directory (a path or embedded:PATH); without it,
the embedded store in --data-dir. An embedded store must not be in use:
stop the Parley server that runs on it first, or ask the running server
with GET /api/conversations/{id}/verify.

Flags:
`

// openChainedStore opens the store as openStore does, and keeps its hash
// chain's Verify for GET /api/conversations/{id}/verify: it reads the raw
// store under the decorators.
func (m *Main) openChainedStore(ctx context.Context) (*personaldata.Store, error) {
	store, err := openStore(ctx, m.Config, m.Logger)
	if err != nil {
		return nil, err
	}
	if c, ok := store.Below().(*chain.Store); ok {
		m.verify = c.Verify
	}
	return store, nil
}

// auditCommand runs "parley audit".
func auditCommand(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(os.Stderr, auditUsage)
		return errors.New("audit: the only subcommand is verify")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), auditUsage); fs.PrintDefaults() }
	conv := fs.String("conversation", "", "check only this conversation")
	all := fs.Bool("all-streams", false, "check every stream, not only conversations")
	storeFlag := fs.String("store", "", "the store to check: an esdb:// connection string or an embedded store's directory")
	dataDir := fs.String("data-dir", "./data", "the embedded store's directory, when --store is not given")
	logLevel := fs.String("log-level", "warn", "log level of the store: debug, info, warn or error")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	logger, err := newLogger(*logLevel, "text")
	if err != nil {
		return err
	}
	where := *storeFlag
	if where == "" {
		where = *dataDir
	}
	spec := parseStoreSpec("--store", where)
	if spec.err != nil {
		return spec.err
	}
	store, err := spec.open(ctx, false, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	var results []chain.Result
	if *conv != "" {
		res, err := chain.Verify(ctx, store, domain.StreamName(*conv))
		if errors.Is(err, domain.ErrStreamNotFound) {
			return fmt.Errorf("audit verify: conversation %s does not exist in %s", *conv, spec)
		}
		if err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		results = []chain.Result{res}
	} else {
		progress := newVerifyProgress(os.Stdout)
		prefix := domain.StreamPrefix
		if *all {
			prefix = ""
		}
		results, err = chain.VerifyAll(ctx, store, prefix, progress.update)
		progress.done()
		if err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
	}
	return report(os.Stdout, spec.String(), results, *conv != "")
}

// report prints each broken stream and a summary, and fails on a break.
func report(out io.Writer, store string, results []chain.Result, one bool) error {
	var events, unchained uint64
	var broken, unchainedStreams int
	for _, r := range results {
		events += r.Events
		unchained += r.Unchained
		if r.Unchained == r.Events {
			unchainedStreams++
		}
		if !r.Valid() {
			broken++
			fmt.Fprintf(out, "BROKEN %s at sequence %d: %s\n", r.Stream, *r.FirstBad, r.Reason)
		}
	}
	if one {
		r := results[0]
		fmt.Fprintf(out, "%s: %d events, %d of them unchained (stored before the chain); head %s\n", r.Stream, r.Events, r.Unchained, headOf(r.Head))
	}
	fmt.Fprintf(out, "checked %d streams, %d events in %s: %d broken; %d events in %d streams unchained (stored before the chain)\n",
		len(results), events, store, broken, unchained, unchainedStreams)
	if broken > 0 {
		return fmt.Errorf("audit verify: %d of %d streams are broken", broken, len(results))
	}
	fmt.Fprintln(out, "every chain holds")
	return nil
}

func headOf(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}

// verifyProgress draws "read 12345 events" on a terminal, at most every
// 100ms; on anything else it draws nothing.
type verifyProgress struct {
	out  *os.File
	on   bool
	last time.Time
	drew bool
}

func newVerifyProgress(out *os.File) *verifyProgress {
	return &verifyProgress{out: out, on: term.IsTerminal(int(out.Fd()))}
}

func (p *verifyProgress) update(events int) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.drew = time.Now(), true
	fmt.Fprintf(p.out, "\rread %d events  ", events)
}

func (p *verifyProgress) done() {
	if p.drew {
		fmt.Fprint(p.out, "\r")
		fmt.Fprintln(p.out)
	}
}
