package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestBenchAcrossNodes runs the chat scenario over three Parley nodes on
// one EventStoreDB test server: every pair's customer and agent are on
// different nodes, so each message crosses nodes, and the report gives
// each node's process and the server CPU per delivery summed over them.
func TestBenchAcrossNodes(t *testing.T) {
	_, nodes := startNodes(t, 3, loadLimits...)
	var urls []string
	want := map[int]bool{}
	for _, s := range nodes {
		urls = append(urls, "http://"+s.addr)
		want[s.cmd.Process.Pid] = true
	}
	args := []string{"chat", "--targets", strings.Join(urls, ","), "--json", "--api-key", agentKey,
		"--conversations", "6", "--duration", "500ms", "--warmup", "100ms", "--drain", "2s", "--workers", "4",
		"--baseline=false"}
	out, err := exec.Command(benchBinary(t), args...).Output()
	if err != nil {
		t.Fatalf("parley-bench %v: %v", args, err)
	}
	var rep benchReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("--json printed what is not JSON: %v\n%s", err, out)
	}
	checkMessages(t, "parley", rep.Parley)
	var extra struct {
		Parley struct {
			Target         string  `json:"target"`
			CPUPerDelivery float64 `json:"server_cpu_per_delivery_us"`
			Nodes          []struct {
				PID   int     `json:"pid"`
				Cores float64 `json:"cores"`
			} `json:"nodes"`
		} `json:"parley"`
	}
	if err := json.Unmarshal(out, &extra); err != nil {
		t.Fatal(err)
	}
	p := extra.Parley
	if len(p.Nodes) != 3 {
		t.Fatalf("the report names %d node processes, want 3: %s", len(p.Nodes), out)
	}
	for _, n := range p.Nodes {
		if !want[n.PID] {
			t.Errorf("node %+v is not one of the nodes %v", n, want)
		}
	}
	if p.CPUPerDelivery <= 0 {
		t.Errorf("no server CPU per delivery: %s", out)
	}
	if p.Target != strings.Join(urls, ",") {
		t.Errorf("target %q, want the three nodes", p.Target)
	}
}
