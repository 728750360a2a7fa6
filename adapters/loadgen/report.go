package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Report is the outcome of one run: Parley's result, the echo ceiling's
// under the same load, and their ratios.
type Report struct {
	Scenario string    `json:"scenario"`
	Mode     string    `json:"mode"`
	Started  time.Time `json:"started"`
	Machine  Machine   `json:"machine"`
	Parley   *Result   `json:"parley,omitempty"`
	Baseline *Result   `json:"baseline,omitempty"`
	// Ratio is Parley's result over the baseline's.
	Ratio       *Ratio   `json:"ratio,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// Result is one system's (Parley's or the echo server's) measurements.
type Result struct {
	System        string  `json:"system"`
	Target        string  `json:"target"`
	Conversations int     `json:"conversations,omitempty"`
	Connections   int     `json:"connections"`
	Senders       int     `json:"senders,omitempty"`
	SetupSeconds  float64 `json:"setup_s"`
	WindowSeconds float64 `json:"window_s"`

	// Messages: measured messages sent, the deliveries they should have
	// made and those that arrived (Lost never did, within the drain).
	Sent      int64 `json:"sent"`
	Expected  int64 `json:"expected"`
	Delivered int64 `json:"delivered"`
	Lost      int64 `json:"lost"`
	Acked     int64 `json:"acked"`
	// Throughput is deliveries per second inside the window (chat, fanout,
	// echo), conversations started per second (init), or connections
	// opened per second (connections).
	Throughput float64 `json:"throughput_per_s"`
	SendRate   float64 `json:"send_rate_per_s,omitempty"`

	Errors     int64        `json:"errors"`
	ErrorCodes []ErrorCount `json:"error_codes,omitempty"`

	// Latency is from each message's scheduled send time to its arrival at
	// another participant (init: the request's round trip); AckLatency
	// from its actual send to its ack; SendLag how late the generator sent.
	Latency    Percentiles  `json:"latency"`
	AckLatency *Percentiles `json:"ack_latency,omitempty"`
	SendLag    *Percentiles `json:"send_lag,omitempty"`

	Server *ProcUsage `json:"server,omitempty"`
	// Nodes are the server processes one by one when there are several
	// (Config.Targets); Server is then their sum.
	Nodes []ProcUsage `json:"nodes,omitempty"`
	// ServerCPUPerDeliveryUS is the server's CPU time (all nodes) per
	// delivery in the window, in microseconds (chat, fanout; init: per
	// conversation started).
	ServerCPUPerDeliveryUS float64 `json:"server_cpu_per_delivery_us,omitempty"`
	// GeneratorCores and MachineCores are the CPU the load generator and
	// the whole machine (every process: colleagues' too) used in the window.
	GeneratorCores float64 `json:"generator_cores"`
	MachineCores   float64 `json:"machine_cores"`
	// PerConnectionKB is the server's memory growth per socket held.
	PerConnectionKB float64 `json:"per_connection_kb,omitempty"`

	StuckSenders int  `json:"stuck_senders,omitempty"`
	Interrupted  bool `json:"interrupted,omitempty"`
}

// ProcUsage is a server process's resources over the window.
type ProcUsage struct {
	PID        int     `json:"pid"`
	RSSStartMB float64 `json:"rss_start_mb"`
	RSSEndMB   float64 `json:"rss_end_mb"`
	RSSMaxMB   float64 `json:"rss_max_mb"`
	// Cores is CPU time over wall time: 1.5 means one and a half cores busy.
	Cores float64 `json:"cores"`
}

// Ratio compares Parley with the ceiling: throughput and memory as
// Parley/ceiling, latency as how many times the ceiling's.
type Ratio struct {
	Throughput    float64 `json:"throughput"`
	P50           float64 `json:"p50,omitempty"`
	P99           float64 `json:"p99,omitempty"`
	PerConnection float64 `json:"per_connection,omitempty"`
}

// fillUsage copies what u saw into r: with several server processes,
// Server is their sum (memory summed too) and Nodes each one.
func (r *Result) fillUsage(u *usage, pid int) {
	secs := r.WindowSeconds
	if secs <= 0 {
		return
	}
	cores := func(a, b procSample) float64 { return float64(b.ticks-a.ticks) / clockTicks / secs }
	r.GeneratorCores = round(cores(u.self0, u.self1), 2)
	r.MachineCores = round(cores(u.mach0, u.mach1), 2)
	if len(u.procs) == 0 {
		return
	}
	var sum ProcUsage
	var ticks int64
	for _, p := range u.procs {
		n, _ := strconv.Atoi(p.pid)
		one := ProcUsage{PID: n, RSSStartMB: mb(p.first.rssKB), RSSEndMB: mb(p.last.rssKB), RSSMaxMB: mb(p.rssMax),
			Cores: round(cores(p.first, p.last), 2)}
		r.Nodes = append(r.Nodes, one)
		sum.RSSStartMB += one.RSSStartMB
		sum.RSSEndMB += one.RSSEndMB
		sum.RSSMaxMB += one.RSSMaxMB
		ticks += p.last.ticks - p.first.ticks
	}
	sum.PID, sum.Cores = pid, round(float64(ticks)/clockTicks/secs, 2)
	r.Server = &sum
	if len(r.Nodes) == 1 {
		r.Nodes = nil
	}
	if r.Sent > 0 && r.Throughput > 0 {
		r.ServerCPUPerDeliveryUS = round(float64(ticks)/clockTicks/secs/r.Throughput*1e6, 1)
	}
}

func mb(kb int64) float64 { return round(float64(kb)/1024, 1) }

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

// ratio compares two results.
func ratio(p, b *Result) *Ratio {
	if p == nil || b == nil {
		return nil
	}
	div := func(x, y float64) float64 {
		if y == 0 {
			return 0
		}
		return round(x/y, 3)
	}
	r := &Ratio{Throughput: div(p.Throughput, b.Throughput), P50: div(p.Latency.P50, b.Latency.P50),
		P99: div(p.Latency.P99, b.Latency.P99), PerConnection: div(p.PerConnectionKB, b.PerConnectionKB)}
	if p.Connections > 0 && p.Sent == 0 {
		// The connections scenario: how fast sockets open is no ceiling.
		r.Throughput = 0
	}
	return r
}

// writeJSON writes the report as indented JSON.
func (rep *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeTable writes the report for people: one column per system.
func (rep *Report) writeTable(w io.Writer) error {
	fmt.Fprintf(w, "scenario %s, %s; %d cores, %s\n", rep.Scenario, rep.Mode, rep.Machine.Cores, rep.Machine.GoVersion)
	cols := []*Result{}
	head := fmt.Sprintf("%-22s", "")
	for _, r := range []*Result{rep.Parley, rep.Baseline} {
		if r != nil {
			cols = append(cols, r)
			head += fmt.Sprintf("%14s", r.System)
		}
	}
	if rep.Ratio != nil {
		head += fmt.Sprintf("%10s", "ratio")
	}
	fmt.Fprintln(w, head)
	row := func(name string, ratio float64, v func(*Result) string) {
		line := fmt.Sprintf("%-22s", name)
		for _, r := range cols {
			line += fmt.Sprintf("%14s", v(r))
		}
		if rep.Ratio != nil && ratio != 0 {
			line += fmt.Sprintf("%10.2f", ratio)
		}
		fmt.Fprintln(w, line)
	}
	num := func(f func(*Result) float64, format string) func(*Result) string {
		return func(r *Result) string { return fmt.Sprintf(format, f(r)) }
	}
	var rt Ratio
	if rep.Ratio != nil {
		rt = *rep.Ratio
	}
	row("connections", 0, num(func(r *Result) float64 { return float64(r.Connections) }, "%.0f"))
	row("setup s", 0, num(func(r *Result) float64 { return r.SetupSeconds }, "%.1f"))
	row("window s", 0, num(func(r *Result) float64 { return r.WindowSeconds }, "%.1f"))
	row(rep.throughputName(), rt.Throughput, num(func(r *Result) float64 { return r.Throughput }, "%.0f"))
	if rep.Scenario != ScenarioConnections {
		row("sent", 0, num(func(r *Result) float64 { return float64(r.Sent) }, "%.0f"))
		row("lost", 0, num(func(r *Result) float64 { return float64(r.Lost) }, "%.0f"))
		row("latency p50 ms", rt.P50, num(func(r *Result) float64 { return r.Latency.P50 }, "%.2f"))
		row("latency p90 ms", 0, num(func(r *Result) float64 { return r.Latency.P90 }, "%.2f"))
		row("latency p99 ms", rt.P99, num(func(r *Result) float64 { return r.Latency.P99 }, "%.2f"))
		row("latency p99.9 ms", 0, num(func(r *Result) float64 { return r.Latency.P999 }, "%.2f"))
		row("latency max ms", 0, num(func(r *Result) float64 { return r.Latency.Max }, "%.2f"))
	}
	if rep.Scenario != ScenarioConnections && rep.Scenario != ScenarioInit {
		row("ack p99 ms", 0, func(r *Result) string { return optional(r.AckLatency, func(p Percentiles) float64 { return p.P99 }) })
		row("send lag p99 ms", 0, func(r *Result) string { return optional(r.SendLag, func(p Percentiles) float64 { return p.P99 }) })
	}
	row("errors", 0, num(func(r *Result) float64 { return float64(r.Errors) }, "%.0f"))
	if rep.Scenario == ScenarioConnections {
		row("server KB/connection", rt.PerConnection, num(func(r *Result) float64 { return r.PerConnectionKB }, "%.1f"))
	}
	row("server RSS max MB", 0, func(r *Result) string {
		if r.Server == nil {
			return "-"
		}
		return fmt.Sprintf("%.1f", r.Server.RSSMaxMB)
	})
	row("server CPU cores", 0, func(r *Result) string {
		if r.Server == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", r.Server.Cores)
	})
	if rep.Scenario == ScenarioChat || rep.Scenario == ScenarioFanout {
		row("server CPU µs/delivery", 0, func(r *Result) string {
			if r.ServerCPUPerDeliveryUS == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f", r.ServerCPUPerDeliveryUS)
		})
	}
	row("generator CPU cores", 0, num(func(r *Result) float64 { return r.GeneratorCores }, "%.2f"))
	row("machine CPU cores", 0, num(func(r *Result) float64 { return r.MachineCores }, "%.2f"))
	rep.writeTableNotes(w, cols)
	return nil
}

// writeTableNotes writes, under the table, each node's share, the errors
// by code, the notes, and whether the run was cut short.
func (rep *Report) writeTableNotes(w io.Writer, cols []*Result) {
	for _, r := range cols {
		for k, n := range r.Nodes {
			fmt.Fprintf(w, "%s node %d (pid %d): %.2f cores, RSS max %.1f MB\n", r.System, k+1, n.PID, n.Cores, n.RSSMaxMB)
		}
		for _, e := range r.ErrorCodes {
			fmt.Fprintf(w, "%s error %s: %d\n", r.System, e.Code, e.Count)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if rep.Interrupted {
		fmt.Fprintln(w, "interrupted: the results are partial")
	}
}

func (rep *Report) throughputName() string {
	switch rep.Scenario {
	case ScenarioInit:
		return "inits/s"
	case ScenarioConnections:
		return "connections/s"
	}
	return "deliveries/s"
}

func optional(p *Percentiles, f func(Percentiles) float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", f(*p))
}

func machine() Machine {
	return Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: strings.Join([]string{runtime.GOOS, runtime.GOARCH}, "/")}
}
