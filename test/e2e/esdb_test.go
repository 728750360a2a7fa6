package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	esdbBinaryOnce sync.Once
	esdbBinaryPath string
	esdbBinaryErr  error
)

// esdbBinary builds the standalone EventStoreDB test server once, next to
// the parley binary, for the tests that need it.
func esdbBinary(t *testing.T) string {
	t.Helper()
	esdbBinaryOnce.Do(func() {
		esdbBinaryPath = filepath.Join(filepath.Dir(binary), "esdbserver")
		out, err := exec.Command("go", "build", "-o", esdbBinaryPath, "github.com/parley-chat/parley/test/esdbserver/cmd/esdbserver").CombinedOutput()
		if err != nil {
			esdbBinaryErr = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if esdbBinaryErr != nil {
		t.Fatalf("build esdbserver: %v", esdbBinaryErr)
	}
	return esdbBinaryPath
}

// esdbProcess is a running standalone EventStoreDB test server.
type esdbProcess struct {
	t    *testing.T
	addr string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startESDB starts the test server on a free loopback port and waits for
// the connection string it prints.
func startESDB(t *testing.T) *esdbProcess {
	t.Helper()
	return startESDBAt(t, freeAddr(t))
}

// startESDBAt starts the test server on addr (a restart on the address of
// one that was stopped: it starts empty).
func startESDBAt(t *testing.T, addr string) *esdbProcess {
	t.Helper()
	p := &esdbProcess{t: t, addr: addr, done: make(chan struct{})}
	p.cmd = exec.Command(esdbBinary(t), "--addr", addr, "--max-append-size", "4194304")
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start esdbserver: %v", err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		for sc.Scan() {
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	select {
	case line, ok := <-lines:
		if !ok || !strings.HasPrefix(line, "esdb://") {
			t.Fatalf("esdbserver printed %q, want its esdb:// URL", line)
		}
		p.url = line
	case <-time.After(30 * time.Second):
		t.Fatal("esdbserver printed no URL within 30s")
	}
	return p
}

// stop ends the process (SIGTERM) and waits for it.
func (p *esdbProcess) stop() { terminate(p.cmd, p.done, 10*time.Second) }
