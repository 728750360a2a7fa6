package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the parley binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "parley")
	build := exec.Command("go", "build", "-race", "-o", binary, "github.com/parley-chat/parley/cmd/parley")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build parley:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Credentials every test server accepts: auth is on in every test.
const (
	testSecret      = "e2e-secret-0123456789abcdef0123456789"
	agentKey        = "agent-key-0123456789"
	supervisorKey   = "supervisor-key-0123456789"
	botKey          = "bot-key-0123456789"
	smsConnectorKey = "sms-connector-key-0123456789"
	senderKey       = "sender-key-0123456789"
	waConnectorKey  = "wa-connector-key-0123456789"
)

var testKeys = "agent-1:agent:" + agentKey + ",sup-1:supervisor:" + supervisorKey + ",bot-1:bot:" + botKey +
	",sms:connector:" + smsConnectorKey + ",campaigns:sender:" + senderKey + ",whatsapp:connector:" + waConnectorKey

// loadLimits lift the per-IP and per-connection rate limits for tests that
// put load on the server from one address.
var loadLimits = []string{"--inits-per-minute", "1000000", "--frames-per-second", "1000000", "--frame-burst", "1000000"}

// server is a running parley serve process.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	addr    string
	dataDir string
	logs    *syncBuffer
	done    chan struct{}
}

// startServer starts parley serve on a free loopback port with dataDir and
// waits until it answers /healthz.
func startServer(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{t: t, addr: addr, dataDir: dataDir, logs: &syncBuffer{}, done: make(chan struct{})}
	all := append([]string{"serve", "--addr", addr, "--data-dir", dataDir, "--log-level", "debug",
		"--auth-secret", testSecret, "--api-keys", testKeys}, args...)
	s.cmd = exec.Command(binary, all...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start parley: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("parley logs (%s):\n%s", addr, s.logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("parley exited before it was ready:\n%s", s.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("parley not ready after 30s:\n%s", s.logs.String())
		}
	}
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// stop sends SIGTERM and waits for a graceful exit.
func (s *server) stop() {
	if terminate(s.cmd, s.done, 20*time.Second) {
		s.t.Errorf("parley did not stop within 20s of SIGTERM; killed it")
	}
}

// terminate sends SIGTERM to a child process that done reports the end of,
// waits up to grace, then kills it; it reports whether it had to kill.
func terminate(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) (killed bool) {
	select {
	case <-done:
		return false
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return false
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
		return true
	}
}

// kill ends the process with SIGKILL, as a crash would.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// do sends a JSON request as a supervisor and decodes a JSON answer into out
// (when not nil).
func (s *server) do(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	return s.doAs(t, supervisorKey, method, path, body, out)
}

// doAs is do with the given bearer credential ("" for none).
func (s *server) doAs(t *testing.T, credential, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url(path), r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
