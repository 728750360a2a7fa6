// Command esdbserver runs the in-memory EventStoreDB-compatible test server
// as its own process, so that several processes can share one store in
// end-to-end tests. It prints its connection string on stdout once it
// listens and stops on SIGINT or SIGTERM.
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
	flag.Parse()

	opts := []esdbserver.Option{esdbserver.WithMaxAppendSize(*maxAppend), esdbserver.WithServerVersion(*version)}
	if *system {
		opts = append(opts, esdbserver.WithSystemEvents())
	}
	srv, err := esdbserver.Start(*addr, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = srv.Close()
}
