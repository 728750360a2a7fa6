package diskstore_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
)

// The test binary doubles as the child process of the cross-process tests:
// with childEnv set it runs the named child instead of the tests.
const (
	childEnv = "PARLEY_DISKSTORE_CHILD" // "append" or "open"
	dirEnv   = "PARLEY_DISKSTORE_DIR"
	roundEnv = "PARLEY_DISKSTORE_ROUND"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "append":
		appendChild(os.Getenv(dirEnv), os.Getenv(roundEnv))
	case "open":
		_, err := diskstore.Open(os.Getenv(dirEnv), diskstore.Options{})
		fmt.Println(err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// appendChild appends from many goroutines until killed, printing the ids of
// each append after it is acknowledged, one line per append.
func appendChild(dir, round string) {
	s, err := diskstore.Open(dir, diskstore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	for w := range 32 {
		go func() {
			stream := fmt.Sprintf("conversation-%s-%d", round, w)
			expected := domain.NoStream()
			for {
				evs := benchEvents(1 + rand.IntN(3))
				res, err := s.Append(context.Background(), stream, expected, evs)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				// One write per line, so a line is all or nothing in the pipe.
				line := "ack " + strings.Join(ids(evs), ",") + "\n"
				mu.Lock()
				_, _ = os.Stdout.WriteString(line)
				mu.Unlock()
				expected = domain.Exact(res.NextRevision)
			}
		}()
	}
	select {}
}

func child(t *testing.T, kind, dir, round string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+kind, dirEnv+"="+dir, roundEnv+"="+round)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

// TestKillNine kills a child process with SIGKILL while 32 goroutines append,
// three times over the same directory. After each kill, every acknowledged
// event must be there and every record whole.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	acked := make(map[string]bool)
	for round := range 3 {
		cmd, stderr := child(t, "append", dir, fmt.Sprint(round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		// Kill after a random number of acks, so the kill lands at a
		// different point of the write/sync cycle each time.
		killAt, n := 100+rand.IntN(400), 0
		deadline := time.AfterFunc(5*time.Second, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		for lines.Scan() {
			for _, id := range strings.Split(strings.TrimPrefix(lines.Text(), "ack "), ",") {
				acked[id] = true
			}
			if n++; n == killAt {
				_ = cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		deadline.Stop()
		err = cmd.Wait()
		if n < killAt {
			t.Fatalf("round %d: child acknowledged %d appends before it ended (%v): %s", round, n, err, stderr)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, want SIGKILL; stderr: %s", round, err, stderr)
		}
		checkAfterCrash(t, dir, acked)
	}
}

// checkAfterCrash reopens dir and checks that the log is whole and holds
// every acknowledged id once.
func checkAfterCrash(t *testing.T, dir string, acked map[string]bool) {
	t.Helper()
	var logs logBuffer
	s := mustOpen(t, dir, diskstore.Options{Logger: logs.logger()})
	defer s.Close()
	all, err := s.ReadAll(t.Context(), 0, 1<<30)
	if err != nil {
		t.Fatalf("ReadAll after kill -9: %v (recovery log: %s)", err, logs.String())
	}
	seen := make(map[string]bool, len(all))
	revs := make(map[string]domain.Revision)
	for i, e := range all {
		if e.Position != domain.Position(i+1) || e.Revision != revs[e.Stream] || seen[e.ID] {
			t.Fatalf("event #%d after kill -9: position %d, %s revision %d (want %d), seen before %v",
				i, e.Position, e.Stream, e.Revision, revs[e.Stream], seen[e.ID])
		}
		seen[e.ID] = true
		revs[e.Stream]++
	}
	missing := 0
	for id := range acked {
		if !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events are missing after kill -9", missing, len(acked))
	}
	t.Logf("after kill -9: %d events stored, %d acknowledged; recovery: %s",
		len(all), len(acked), strings.TrimSpace(logs.String()))
}

// TestOpenLockedByAnotherProcess opens a directory in a child process while
// this one holds it.
func TestOpenLockedByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	mustOpen(t, dir, diskstore.Options{})
	cmd, stderr := child(t, "open", dir, "")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v: %s", err, stderr)
	}
	msg := string(out)
	for _, want := range []string{dir, "another Parley process", fmt.Sprintf("pid %d", os.Getpid())} {
		if !strings.Contains(msg, want) {
			t.Errorf("child's Open error %q does not mention %q", strings.TrimSpace(msg), want)
		}
	}
}
