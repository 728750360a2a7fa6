package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/gorilla/websocket"
)

// wsClient is a line-based websocket client for trying Parley by hand: each
// line read from standard input is sent as one text frame, and each frame
// received is printed on its own line.
func wsClient(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ws", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: parley ws [ws://127.0.0.1:8080/ws]\n\nSends each line of standard input as a text frame; prints each frame received.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	url := "ws://127.0.0.1:8080/ws"
	if fs.NArg() > 0 {
		url = fs.Arg(0)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", url, err)
	}
	defer conn.Close()

	received := make(chan error, 1)
	go func() {
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				received <- err
				return
			}
			fmt.Println(string(msg))
		}
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			return nil
		case err := <-received:
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				fmt.Fprintf(os.Stderr, "closed by the server: %d %s\n", ce.Code, ce.Text)
				return nil
			}
			return err
		case line, ok := <-lines:
			if !ok {
				// Input is over: stay to print what arrives until interrupted.
				lines = nil
				continue
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := conn.WriteMessage(websocket.TextMessage, []byte(line)); err != nil {
				return err
			}
		}
	}
}
