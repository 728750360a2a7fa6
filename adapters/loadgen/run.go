package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"time"
)

// scenarioFunc runs one scenario against one system, whose server
// processes are pids (none known: empty).
type scenarioFunc func(ctx context.Context, cfg Config, sys system, pids []int, prog *progress) (*Result, error)

// Run runs cfg's scenario: against the echo ceiling first (when
// cfg.Baseline, or for the echo scenario), then against Parley. It writes
// the report to out (a table, or JSON with cfg.JSON) and a progress line to
// status. When ctx ends it stops at once and reports what it measured.
func Run(ctx context.Context, cfg Config, out, status io.Writer) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ts, err := resolveTargets(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var debug target
	if cfg.DebugURL != "" {
		if debug, err = resolveTarget(ctx, cfg.DebugURL, cfg.AllowRemote); err != nil {
			return nil, fmt.Errorf("--debug-url: %w", err)
		}
	}
	rep := &Report{Scenario: cfg.Scenario, Mode: mode(cfg), Started: time.Now().UTC(), Machine: machine()}
	prog := newProgress(status, cfg.Progress)
	run := map[string]scenarioFunc{ScenarioChat: runMessaging, ScenarioFanout: runMessaging, ScenarioEcho: runMessaging,
		ScenarioConnections: runConnections, ScenarioInit: runInit}[cfg.Scenario]

	var errs []error
	if cfg.Baseline || cfg.Scenario == ScenarioEcho {
		e, err := startEcho(ctx, cfg.EchoCommand)
		if err != nil {
			return nil, err
		}
		rep.Baseline, err = run(ctx, cfg, &echo{url: e.url, http: httpClient(cfg.Workers)}, []int{e.pid}, prog)
		e.stop()
		errs = append(errs, err)
	}
	if cfg.Scenario != ScenarioEcho && ctx.Err() == nil {
		for _, t := range ts {
			if err := waitReady(ctx, t.base); err != nil {
				return nil, err
			}
		}
		pids := []int{cfg.ServerPID}
		if cfg.ServerPID == 0 {
			var missing []string
			pids, missing = nodePIDs(ts)
			rep.Notes = append(rep.Notes, missing...)
		}
		if len(pids) == 0 {
			rep.Notes = append(rep.Notes, "no server process was found: no server memory or CPU (give --server-pid)")
		}
		var profile chan error
		if cfg.ServerProfile != "" {
			profile = make(chan error, 1)
			window := time.Duration(math.Ceil(cfg.Duration.Seconds())) * time.Second
			cfg.onWindow = func() { go func() { profile <- fetchProfile(debug.base, cfg.ServerProfile, window) }() }
		}
		var sys system = &parley{t: ts[0], apiKey: cfg.APIKey, run: runID(), http: httpClient(cfg.Workers)}
		if len(ts) > 1 {
			sys = newNodes(ts, cfg.APIKey, runID(), cfg.Workers)
		}
		rep.Parley, err = run(ctx, cfg, sys, pids, prog)
		errs = append(errs, err)
		if profile != nil {
			select {
			case err := <-profile:
				errs = append(errs, err)
			case <-time.After(cfg.Duration + 15*time.Second):
				errs = append(errs, errors.New("the server's CPU profile did not come"))
			}
		}
	}
	rep.Ratio = ratio(rep.Parley, rep.Baseline)
	rep.Interrupted = ctx.Err() != nil
	rep.Notes = append(rep.Notes, notes(rep)...)
	if cfg.JSON {
		err = rep.writeJSON(out)
	} else {
		err = rep.writeTable(out)
	}
	return rep, errors.Join(append(errs, err)...)
}

// resolveTargets checks and resolves every --target (or --targets) once,
// pointing the websocket at the transport the run uses.
func resolveTargets(ctx context.Context, cfg Config) ([]target, error) {
	var ts []target
	for _, raw := range cfg.targets() {
		t, err := resolveTarget(ctx, raw, cfg.AllowRemote)
		if err != nil {
			return nil, err
		}
		if cfg.Transport == TransportSocketIO {
			t.ws = strings.TrimSuffix(t.ws, "/ws") + "/socket.io/?EIO=4&transport=websocket"
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// waitReady waits, up to 30 seconds, until the server answers /healthz:
// a server started just before the load generator may still be replaying
// its history.
func waitReady(ctx context.Context, base string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not ready after 30s: %v", base, err)
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// fetchProfile saves a CPU profile of the server, taken over window, from
// its net/http/pprof endpoint.
func fetchProfile(base, file string, window time.Duration) error {
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, int(window.Seconds()))
	client := &http.Client{Timeout: window + 10*time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("server profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server profile: %s answered %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("server profile: %w", err)
	}
	return f.Close()
}

// mode describes the load in words.
func mode(cfg Config) string {
	var shape string
	switch cfg.Scenario {
	case ScenarioChat, ScenarioEcho:
		shape = fmt.Sprintf("%d conversations (customer and agent both sending)", cfg.Conversations)
	case ScenarioFanout:
		shape = fmt.Sprintf("1 conversation, %d agents, %d sending", cfg.Agents, cfg.Senders)
	case ScenarioConnections:
		shape = fmt.Sprintf("%d idle sockets held %s", cfg.Connections, cfg.Duration)
		if cfg.Join {
			shape = fmt.Sprintf("%d sockets joined in pairs, held %s", cfg.Connections, cfg.Duration)
		}
		return shape
	case ScenarioInit:
		return fmt.Sprintf("%d clients starting conversations back to back for %s", cfg.Workers, cfg.Duration)
	}
	load := fmt.Sprintf("closed loop, %d in flight per sender", cfg.InFlight)
	if cfg.Rate > 0 {
		load = fmt.Sprintf("open loop at %.0f messages/s", cfg.Rate)
	}
	return fmt.Sprintf("%s; %s; %d-byte texts; %s measured after %s warm-up", shape, load, cfg.TextBytes, cfg.Duration, cfg.Warmup)
}

// notes points at what makes a result suspect.
func notes(rep *Report) []string {
	var out []string
	for _, r := range []*Result{rep.Parley, rep.Baseline} {
		if r == nil {
			continue
		}
		for _, e := range r.ErrorCodes {
			if e.Code == "rate_limited" {
				out = append(out, r.System+" refused frames or inits as rate_limited: start the server with generous --frames-per-second, --frame-burst, --inits-per-minute and --init-burst")
			}
		}
		if r.Lost > 0 {
			out = append(out, fmt.Sprintf("%s: %d deliveries did not arrive within the drain", r.System, r.Lost))
		}
		if r.SendLag != nil && r.SendLag.P99 > 5 {
			out = append(out, fmt.Sprintf("%s: the generator sent late (p99 %.1f ms after schedule): the machine is saturated, and latency includes that delay", r.System, r.SendLag.P99))
		}
		if r.StuckSenders > 0 {
			out = append(out, fmt.Sprintf("%s: %d senders were blocked writing when the window closed", r.System, r.StuckSenders))
		}
	}
	return out
}
