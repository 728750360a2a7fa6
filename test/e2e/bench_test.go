package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	benchBinaryOnce sync.Once
	benchBinaryPath string
	benchBinaryErr  error
)

// benchBinary builds the load generator, parley-bench, once, next to the
// parley binary, for the tests that need it.
func benchBinary(t *testing.T) string {
	t.Helper()
	benchBinaryOnce.Do(func() {
		benchBinaryPath = filepath.Join(filepath.Dir(binary), "parley-bench")
		out, err := exec.Command("go", "build", "-o", benchBinaryPath, "github.com/parley-chat/parley/cmd/parley-bench").CombinedOutput()
		if err != nil {
			benchBinaryErr = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if benchBinaryErr != nil {
		t.Fatalf("build parley-bench: %v", benchBinaryErr)
	}
	return benchBinaryPath
}

// benchReport is the part of parley-bench's JSON report the tests check.
type benchReport struct {
	Scenario string       `json:"scenario"`
	Parley   *benchResult `json:"parley"`
	Baseline *benchResult `json:"baseline"`
	Ratio    *struct {
		Throughput float64 `json:"throughput"`
	} `json:"ratio"`
}

type benchResult struct {
	Connections int     `json:"connections"`
	Sent        int64   `json:"sent"`
	Delivered   int64   `json:"delivered"`
	Lost        int64   `json:"lost"`
	Errors      int64   `json:"errors"`
	Throughput  float64 `json:"throughput_per_s"`
	// Latency holds p50_ms, p90_ms, p99_ms, p99_9_ms and max_ms.
	Latency map[string]float64 `json:"latency"`
	Server  *struct {
		PID      int     `json:"pid"`
		RSSMaxMB float64 `json:"rss_max_mb"`
	} `json:"server"`
}

// runBench runs parley-bench with args and returns its decoded report.
func runBench(t *testing.T, args ...string) benchReport {
	t.Helper()
	var out, errs bytes.Buffer
	cmd := exec.Command(benchBinary(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("parley-bench %v: %v\n%s", args, err, errs.String())
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json printed what is not JSON: %v\n%s", err, out.String())
	}
	return rep
}

// checkMessages fails unless r is a run that delivered every message it
// sent, without errors, with ordered percentiles.
func checkMessages(t *testing.T, name string, r *benchResult) {
	t.Helper()
	if r == nil {
		t.Fatalf("%s: no result", name)
	}
	l := r.Latency
	if r.Sent == 0 || r.Delivered == 0 || r.Throughput <= 0 || r.Errors != 0 || r.Lost != 0 {
		t.Errorf("%s: sent %d, delivered %d, %.0f/s, errors %d, lost %d", name, r.Sent, r.Delivered, r.Throughput, r.Errors, r.Lost)
	}
	if !(0 < l["p50_ms"] && l["p50_ms"] <= l["p90_ms"] && l["p90_ms"] <= l["p99_ms"] && l["p99_ms"] <= l["p99_9_ms"] && l["p99_9_ms"] <= l["max_ms"]) {
		t.Errorf("%s: percentiles out of order: %v", name, l)
	}
}

// TestBench runs each load generator scenario briefly against a real
// server with authentication on.
func TestBench(t *testing.T) {
	s := startServer(t, t.TempDir(), loadLimits...)
	common := []string{"--target", "http://" + s.addr, "--json", "--api-key", agentKey,
		"--duration", "500ms", "--warmup", "100ms", "--drain", "2s", "--workers", "4"}
	t.Run("chat", func(t *testing.T) {
		t.Parallel()
		rep := runBench(t, append([]string{"chat", "--conversations", "4"}, common...)...)
		checkMessages(t, "parley", rep.Parley)
		checkMessages(t, "echo", rep.Baseline)
		if rep.Ratio == nil || rep.Ratio.Throughput <= 0 {
			t.Errorf("no ratio to the echo ceiling: %+v", rep.Ratio)
		}
		if rep.Parley.Server == nil || rep.Parley.Server.PID != s.cmd.Process.Pid || rep.Parley.Server.RSSMaxMB <= 0 {
			t.Errorf("the server's process was not found by its port: %+v", rep.Parley.Server)
		}
	})
	t.Run("open loop", func(t *testing.T) {
		t.Parallel()
		rep := runBench(t, append([]string{"chat", "--conversations", "3", "--rate", "200", "--baseline=false"}, common...)...)
		checkMessages(t, "parley", rep.Parley)
	})
	t.Run("fanout", func(t *testing.T) {
		t.Parallel()
		rep := runBench(t, append([]string{"fanout", "--agents", "4", "--baseline=false"}, common...)...)
		checkMessages(t, "parley", rep.Parley)
		if rep.Parley.Connections != 5 {
			t.Errorf("fanout held %d sockets, want 5", rep.Parley.Connections)
		}
	})
	t.Run("init", func(t *testing.T) {
		t.Parallel()
		rep := runBench(t, append([]string{"init", "--baseline=false"}, common...)...)
		checkMessages(t, "parley", rep.Parley)
	})
	t.Run("connections", func(t *testing.T) {
		t.Parallel()
		rep := runBench(t, append([]string{"connections", "--connections", "30", "--baseline=false"}, common...)...)
		if rep.Parley == nil || rep.Parley.Connections != 30 || rep.Parley.Errors != 0 {
			t.Errorf("connections: %+v", rep.Parley)
		}
	})
}

// TestBenchRefusesRemoteTargets checks that the load generator sends
// nothing to a machine that is not this one unless told to.
func TestBenchRefusesRemoteTargets(t *testing.T) {
	var errs bytes.Buffer
	cmd := exec.Command(benchBinary(t), "chat", "--target", "http://10.20.30.40:8080", "--duration", "1s")
	cmd.Stderr = &errs
	if err := cmd.Run(); err == nil || !strings.Contains(errs.String(), "not a loopback address") {
		t.Errorf("a remote target was not refused: %v\n%s", err, errs.String())
	}
}

// TestBenchHelp: --help and -h of parley-bench print the usage and exit 0,
// and parley has no bench command any more.
func TestBenchHelp(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		out, err := exec.Command(benchBinary(t), flag).CombinedOutput()
		if err != nil || !strings.Contains(strings.ToLower(string(out)), "usage") {
			t.Errorf("parley-bench %s: %v\n%s", flag, err, out)
		}
	}
	if out, err := exec.Command(binary, "bench", "chat").CombinedOutput(); err == nil || !strings.Contains(string(out), `unknown command "bench"`) {
		t.Errorf("parley bench: %v\n%s", err, out)
	}
}
