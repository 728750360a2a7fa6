// Command parley-bench is Parley's load generator: real websocket clients
// that drive a running Parley server through its public API and measure it
// against a raw websocket echo server under the same load.
//
//	parley-bench [chat|fanout|connections|init|echo] [flags]
//
// Run "parley-bench -h" for the flags. It is a program of its own so that
// the server binary does not carry the generator or its histogram library.
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

	"github.com/parley-chat/parley/adapters/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// -h or --help: the usage is printed, which is what was asked.
			return
		}
		fmt.Fprintln(os.Stderr, "parley-bench:", err)
		os.Exit(1)
	}
}

// run parses the command line into a load generator configuration and
// runs it, or serves the echo ceiling when started as its child process.
func run(ctx context.Context, args []string) error {
	cfg := loadgen.Defaults()
	var echoServer string
	fs := flag.NewFlagSet("parley-bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: parley-bench [%s] [flags]

Load generator: real websocket clients against a running Parley. Every run
also measures a raw websocket echo server under the same load (--baseline)
and reports Parley's ratio to it. Start the server with generous limits, e.g.
  parley serve --auth=off --inits-per-minute 1000000 --init-burst 1000000 --frames-per-second 1000000 --frame-burst 1000000

Flags:
`, strings.Join(loadgen.Scenarios, "|"))
		fs.PrintDefaults()
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cfg.Scenario, args = args[0], args[1:]
	}
	fs.StringVar(&cfg.Scenario, "scenario", cfg.Scenario, "chat, fanout, connections, init, or echo (the ceiling alone)")
	fs.StringVar(&cfg.Target, "target", cfg.Target, "base URL of the Parley server")
	fs.Func("targets", "several Parley nodes on one store, comma-separated base URLs, instead of --target: each chat pair's customer on one node, its agent on the next; server CPU summed over them", func(v string) error {
		cfg.Targets = strings.Split(v, ",")
		return nil
	})
	fs.StringVar(&cfg.Transport, "transport", cfg.Transport, "how clients reach Parley: ws (the JSON websocket) or socketio (Socket.IO over a websocket)")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.IntVar(&cfg.Conversations, "conversations", cfg.Conversations, "chat: customer-agent pairs")
	fs.IntVar(&cfg.Agents, "agents", cfg.Agents, "fanout: agents in the one conversation (more than 49 needs --max-participants on the server)")
	fs.IntVar(&cfg.Senders, "senders", cfg.Senders, "fanout: participants that send, the customer first")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "connections: sockets to hold")
	fs.BoolVar(&cfg.Join, "join", false, "connections: join the sockets to conversations, in customer-agent pairs")
	fs.Float64Var(&cfg.Rate, "rate", 0, "messages per second over all senders, open loop; 0 sends as fast as acks allow")
	fs.IntVar(&cfg.InFlight, "in-flight", cfg.InFlight, "closed loop: messages awaiting their ack per sender")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "clients starting conversations or connecting at once (init: clients)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of the measured window")
	fs.Int64Var(&cfg.Messages, "messages", 0, "stop after this many measured messages (or inits); 0 for no bound")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "load before the measured window, not counted")
	fs.DurationVar(&cfg.Drain, "drain", cfg.Drain, "how long to wait after the window for messages on their way")
	fs.DurationVar(&cfg.SetupTimeout, "setup-timeout", cfg.SetupTimeout, "bound on starting conversations and connecting")
	fs.IntVar(&cfg.TextBytes, "text-bytes", cfg.TextBytes, "length of each message's text")
	fs.BoolVar(&cfg.Baseline, "baseline", cfg.Baseline, "also measure the raw websocket echo ceiling under the same load")
	fs.StringVar(&cfg.APIKey, "api-key", "", "staff API key the agents connect with (authentication on)")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "the server's process id, for its memory and CPU (found by port when local)")
	fs.StringVar(&cfg.DebugURL, "debug-url", "", "the server's --debug-addr as a URL (http://127.0.0.1:6060), to profile it")
	fs.StringVar(&cfg.ServerProfile, "server-profile", "", "write a CPU profile of the server over the measured window to this file")
	fs.BoolVar(&cfg.JSON, "json", false, "write the report as JSON")
	fs.BoolVar(&cfg.Progress, "progress", cfg.Progress, "draw a progress line when the error output is a terminal")
	fs.StringVar(&echoServer, "echo-server", "", "serve the echo ceiling on this loopback address until standard input ends (used by parley-bench itself)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if echoServer != "" {
		return loadgen.ServeEcho(ctx, echoServer, os.Stdout, os.Stdin)
	}
	if exe, err := os.Executable(); err == nil {
		cfg.EchoCommand = []string{exe, "--echo-server", "127.0.0.1:0"}
	}
	_, err := loadgen.Run(ctx, cfg, os.Stdout, os.Stderr)
	return err
}
