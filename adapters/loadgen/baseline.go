package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"
)

// echoBanner starts the line an echo server process prints once it listens.
const echoBanner = "echo listening on "

// ServeEcho runs an EchoServer on addr, which must be a loopback address,
// until ctx ends or in reaches its end (so that a server started by a load
// generator never outlives it). It prints echoBanner and its URL on out
// once it accepts connections.
func ServeEcho(ctx context.Context, addr string, out io.Writer, in io.Reader) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("echo server address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("echo server address %q: only a loopback address is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: NewEchoServer(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "%shttp://%s\n", echoBanner, ln.Addr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if in != nil {
		go func() { _, _ = io.Copy(io.Discard, in); cancel() }()
	}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// echoProcess is a started echo ceiling.
type echoProcess struct {
	url  string
	pid  int // 0 when it runs in this process
	stop func()
}

// startEcho starts the echo ceiling: as its own process by command when
// given, so that its memory and CPU are measured apart from the load
// generator's as Parley's are, and in this process otherwise.
func startEcho(ctx context.Context, command []string) (*echoProcess, error) {
	if len(command) == 0 {
		return startEchoHere()
	}
	cmd := exec.Command(command[0], command[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the echo server: %w", err)
	}
	stop := func() {
		_ = stdin.Close() // the server exits when its input ends
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill() // only the process this run started
			<-done
		}
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		url, ok := strings.CutPrefix(l, echoBanner)
		if !ok {
			stop()
			return nil, fmt.Errorf("the echo server said %q instead of its address", l)
		}
		return &echoProcess{url: url, pid: cmd.Process.Pid, stop: stop}, nil
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	stop()
	return nil, errors.New("the echo server did not start within 10s")
}

func startEchoHere() (*echoProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: NewEchoServer(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &echoProcess{url: "http://" + ln.Addr().String(), stop: func() { _ = srv.Close() }}, nil
}
