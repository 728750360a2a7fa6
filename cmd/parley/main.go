// Command parley runs the Parley conversation engine.
//
//	parley serve [flags]    serve the Customer Channel API
//	parley ws [url]         a line-based websocket client
//	parley migrate [flags]  copy the event history to another store
//	parley erase --customer ID
//	                        erase a customer's personal data
//	parley store verify|repair --data-dir D
//	                        check or repair the embedded store's log
//
// Run "parley <command> -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// -h or --help: the usage is printed, which is what was asked.
			return
		}
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		usage()
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:])
	case "ws":
		return wsClient(ctx, args[1:])
	case "transcripts":
		return transcriptsCommand(ctx, args[1:])
	case "migrate":
		return migrateCommand(ctx, args[1:])
	case "erase":
		return eraseCommand(ctx, args[1:])
	case "store":
		return storeCommand(args[1:])
	case "audit":
		return auditCommand(ctx, args[1:])
	case "help", "-h", "--help":
		usage()
		return nil
	}
	usage()
	return fmt.Errorf("unknown command %q", args[0])
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage: parley <command> [flags]

Commands:
  serve      serve the Customer Channel API (REST and websockets)
  ws         a line-based websocket client, for trying Parley by hand
  transcripts rebuild [--conversation ID]
             rebuild the transcript projection from the event history
  migrate    copy every stream from one event store to another (--from, --to)
  erase --customer ID
             erase a customer's personal data (destroy their data key)
  store verify --data-dir D
             read the embedded store's whole log and report every damaged span
  store repair --data-dir D
             keep every intact record, move damaged spans to a quarantine file
  audit verify [--conversation ID] [--store STORE]
             check the hash chain of every conversation (ADR 40); non-zero exit on a break

Run "parley <command> -h" for the flags of a command. Every flag can also be
set with an environment variable: --data-dir is PARLEY_DATA_DIR, and so on.

The load generator is its own program, parley-bench.
`)
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment variable (PARLEY_ plus the flag's name in upper
// snake case).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		env := "PARLEY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	return errors.Join(errs...)
}
