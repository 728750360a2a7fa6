package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/benchdata"
)

// BenchmarkStartupESDB measures how long `parley serve --store esdb://...`
// takes to answer /readyz 200 on a long history in the EventStoreDB test
// server: once on a fresh data directory (no snapshot: the whole history is
// folded) and then restarted on the same directory (the read models'
// snapshots, saved at shutdown, and the events after them). The history is
// PARLEY_STARTUP_EVENTS events (100,000 by default; docs/BENCHMARKS.md has
// the by-hand runs) in ended conversations of about 100 events, written
// straight to the test server. PARLEY_BENCH_BINARY measures another build.
// PARLEY_STARTUP_RESTARTS sets how many restarts (3). Each is reported in
// wall time, in the CPU time the node used until ready, and with the load
// average. Run with -benchtime 1x: the history is written once per run.
func BenchmarkStartupESDB(b *testing.B) {
	events := 100_000
	if v := os.Getenv("PARLEY_STARTUP_EVENTS"); v != "" {
		var err error
		if events, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	bin, db := startupBinaries(b)
	url, stopDB := startStartupESDB(b, db)
	defer stopDB()
	began := time.Now()
	written := fillESDB(b, url, events)
	b.Logf("wrote %d events in %s", written, time.Since(began).Round(time.Millisecond))

	restarts := 3
	if v := os.Getenv("PARLEY_STARTUP_RESTARTS"); v != "" {
		var err error
		if restarts, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	for b.Loop() {
		cold, coldCPU := serveUntilReady(b, bin, url, dir, true)
		var warm []string
		for range restarts {
			wall, cpu := serveUntilReady(b, bin, url, dir, false)
			warm = append(warm, fmt.Sprintf("%.2f s (%.2f CPU-s, load %s)", wall.Seconds(), cpu.Seconds(), loadAverage()))
		}
		b.Logf("%d events: ready after %.2f s (%.2f CPU-s) on a fresh data directory; restarted: %s", written, cold.Seconds(), coldCPU.Seconds(), strings.Join(warm, " / "))
		b.ReportMetric(cold.Seconds(), "cold-s")
	}
}

// loadAverage returns the machine's load average over the last minute, or
// "?": a restart's wall time is only as good as the machine was quiet.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(raw))[0]
}

// startupBinaries builds parley (without the race detector, unlike the
// tests) and the test server.
func startupBinaries(b *testing.B) (parley, db string) {
	dir := b.TempDir()
	parley, db = os.Getenv("PARLEY_BENCH_BINARY"), filepath.Join(dir, "esdbserver")
	if parley == "" {
		parley = filepath.Join(dir, "parley")
		if out, err := exec.Command("go", "build", "-o", parley, "github.com/parley-chat/parley/cmd/parley").CombinedOutput(); err != nil {
			b.Fatalf("build parley: %v\n%s", err, out)
		}
	}
	if out, err := exec.Command("go", "build", "-o", db, "github.com/parley-chat/parley/test/esdbserver/cmd/esdbserver").CombinedOutput(); err != nil {
		b.Fatalf("build esdbserver: %v\n%s", err, out)
	}
	return parley, db
}

// startStartupESDB starts the test server on a free loopback port.
func startStartupESDB(b *testing.B, bin string) (string, func()) {
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--max-append-size", "4194304")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "esdb://") {
		stop()
		b.Fatalf("esdbserver printed no URL")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return sc.Text(), stop
}

// fillESDB appends ended conversations of about 100 events until events
// are written, eight writers at a time, one append per conversation. The
// events are one conversation decided by the domain, copied with fresh ids:
// deciding each would take longer than writing it.
func fillESDB(b *testing.B, url string, events int) int {
	const template = "00000000-0000-4000-8000-"
	evs, err := benchdata.Conversation(benchdata.Spec{ID: template + "ffffffffffff", Channel: "web", Messages: 94, Ended: true,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	store, err := esdb.Open(ctx, url, slog.New(slog.DiscardHandler), esdb.WithMaxAppendSize(4<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	convs := max(events/len(evs), 1)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for k := w; k < convs; k += 8 {
				prefix := fmt.Sprintf("%08x-0000-4000-8000-", k+1)
				batch := make([]domain.EventData, len(evs))
				for i, e := range evs {
					e.ID = strings.Replace(e.ID, template, prefix, 1)
					e.Data = []byte(strings.ReplaceAll(string(e.Data), template, prefix))
					e.Metadata.CorrelationID = strings.Replace(e.Metadata.CorrelationID, template, prefix, 1)
					e.Metadata.CausationID = strings.Replace(e.Metadata.CausationID, template, prefix, 1)
					batch[i] = e
				}
				if _, err := store.Append(ctx, domain.StreamName(prefix+"ffffffffffff"), domain.NoStream(), batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return convs * len(evs)
}

// serveUntilReady starts parley serve on dir and returns the time from the
// process's start to /readyz 200, and the CPU time the process had used by
// then (which a loaded machine stretches far less than the wall time);
// then it stops the node with SIGTERM (it
// saves its snapshots). After the fresh start (wait) it first lets the
// node finish its background work (transcripts), so that the restarts
// measure start-up alone.
func serveUntilReady(b *testing.B, bin, url, dir string, wait bool) (time.Duration, time.Duration) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dir, "--store", url, "--auth=off", "--log-level", "info")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	for {
		if resp, err := client.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > 30*time.Minute {
			b.Fatal("not ready after 30 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	cpu := time.Duration(cpuTicks(cmd.Process.Pid)) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	if wait {
		waitIdle(cmd.Process.Pid, 30*time.Minute)
	}
	return took, cpu
}

// cpuTicks returns the user and system time process pid has used, in
// clock ticks, or -1.
func cpuTicks(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// waitIdle waits, up to limit, until process pid used under a tenth of a
// core over two seconds.
func waitIdle(pid int, limit time.Duration) {
	ticks := func() int64 { return cpuTicks(pid) }
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		t0 := ticks()
		time.Sleep(2 * time.Second)
		if t1 := ticks(); t0 < 0 || t1-t0 < 20 {
			return
		}
	}
}
