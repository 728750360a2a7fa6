// Command esdbserver runs the in-memory EventStoreDB-compatible test server
// as its own process, so that several processes can share one store in
// end-to-end tests. It prints its connection string on stdout once it
// listens and stops on SIGINT or SIGTERM. With --cluster N it runs N nodes
// over one log and prints a connection string naming them all; SIGUSR1
// then kills the leader and elects the next node.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/parley-chat/parley/test/esdbserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2113", "address to listen on (port 0 picks a free one)")
	system := flag.Bool("system-events", false, "seed system events, as a real node's $all holds")
	maxAppend := flag.Int("max-append-size", esdbserver.DefaultMaxAppendSize, "largest append, in bytes, counted as --server-version does")
	version := flag.String("server-version", esdbserver.ServerVersion, "node version to answer as: "+strings.Join(esdbserver.Versions, ", "))
	cluster := flag.Int("cluster", 0, "run this many nodes over one log, on free ports (--addr is ignored); SIGUSR1 kills the leader")
	flag.Parse()

	opts := []esdbserver.Option{esdbserver.WithMaxAppendSize(*maxAppend), esdbserver.WithServerVersion(*version)}
	if *system {
		opts = append(opts, esdbserver.WithSystemEvents())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cluster > 0 {
		runCluster(ctx, *cluster, opts)
		return
	}
	srv, err := esdbserver.Start(*addr, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(srv.URL())
	<-ctx.Done()
	_ = srv.Close()
}

func runCluster(ctx context.Context, n int, opts []esdbserver.Option) {
	c, err := esdbserver.StartCluster(n, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(c.URL())
	kill := make(chan os.Signal, 1)
	signal.Notify(kill, syscall.SIGUSR1)
	for {
		select {
		case <-ctx.Done():
			_ = c.Close()
			return
		case <-kill:
			fmt.Fprintf(os.Stderr, "killed the leader; node %d leads\n", c.KillLeader())
		}
	}
}
