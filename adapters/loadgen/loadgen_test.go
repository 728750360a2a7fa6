package loadgen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTargetMustBeLoopback(t *testing.T) {
	for _, raw := range []string{"http://10.0.0.1:8080", "http://192.168.1.20", "https://8.8.8.8/", "http://[2001:db8::1]:80"} {
		if _, err := resolveTarget(t.Context(), raw, false); err == nil || !strings.Contains(err.Error(), "not a loopback") {
			t.Errorf("%s: got %v, want a refusal", raw, err)
		}
		if _, err := resolveTarget(t.Context(), raw, true); err != nil {
			t.Errorf("%s with --allow-remote: %v", raw, err)
		}
	}
	for raw, ws := range map[string]string{
		"http://127.0.0.1:8080":  "ws://127.0.0.1:8080/ws",
		"http://[::1]:9000/":     "ws://[::1]:9000/ws",
		"https://127.0.0.2:8443": "wss://127.0.0.2:8443/ws",
	} {
		got, err := resolveTarget(t.Context(), raw, false)
		if err != nil || got.ws != ws || !got.local {
			t.Errorf("%s: got %+v, %v; want %s", raw, got, err, ws)
		}
	}
}

func TestParseFrame(t *testing.T) {
	for name, c := range map[string]struct {
		frame string
		want  received
	}{
		"arrival":       {`{"event":"messageArrived","data":{"id":"x","text":"a \"info\":{\"t\":9}","info":{"t":42},"sequence":3}}`, received{kind: kindArrived, stamp: 42, measured: true}},
		"warm-up":       {`{"event":"messageArrived","data":{"info":{"u":42}}}`, received{kind: kindArrived, stamp: 42}},
		"activity":      {`{"event":"messageArrived","data":{"activityType":"participantJoined"}}`, received{}},
		"ack":           {`{"event":"ack","data":{"info":{"t":42}},"ack":77}`, received{kind: kindAck, stamp: 42, sent: 77, measured: true}},
		"error":         {`{"event":"error","data":{"code":"rate_limited","message":"slow down"},"ack":77}`, received{kind: kindError, sent: 77, code: "rate_limited"}},
		"setup ack":     {`{"event":"ack","data":{"conversationId":"c"},"ack":"setup"}`, received{kind: kindControl}},
		"setup error":   {`{"event":"error","data":{"code":"forbidden"},"ack":"setup"}`, received{kind: kindControl}},
		"info":          {`{"event":"conversationInfo","data":{}}`, received{}},
		"not ours":      {`[1,2]`, received{}},
		"unacked error": {`{"event":"error","data":{"code":"invalid_request"}}`, received{kind: kindOther}},
	} {
		if got := parseFrame([]byte(c.frame)); got != c.want {
			t.Errorf("%s: got %+v, want %+v", name, got, c.want)
		}
	}
}

func TestSendFrameIsWhatParleyAccepts(t *testing.T) {
	b := sendFrame(nil, messageText(40), 123, 456, true)
	var f struct {
		Event string          `json:"event"`
		Ack   int64           `json:"ack"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Event != "sendMessage" || f.Ack != 123 {
		t.Fatalf("frame %s: %+v, %v", b, f, err)
	}
	var m struct {
		Type string `json:"type"`
		Text string `json:"text"`
		Info struct {
			T int64 `json:"t"`
		} `json:"info"`
	}
	if err := json.Unmarshal(f.Data, &m); err != nil || m.Type != "ChatMessage" || len(m.Text) != 40 || m.Info.T != 456 {
		t.Fatalf("data %s: %+v, %v", f.Data, m, err)
	}
	ack, data, ok := splitSend(b)
	if !ok || string(ack) != "123" || !bytes.Equal(data, f.Data) {
		t.Errorf("the echo server splits it into %s and %s (%v)", ack, data, ok)
	}
}

// quick is a short run's configuration.
func quick(scenario string) Config {
	cfg := Defaults()
	cfg.Scenario, cfg.Conversations, cfg.Agents, cfg.Connections = scenario, 4, 3, 20
	cfg.Duration, cfg.Warmup, cfg.Drain, cfg.Progress = 300*time.Millisecond, 50*time.Millisecond, time.Second, false
	return cfg
}

// checkResult fails unless r looks like a healthy run.
func checkResult(t *testing.T, r *Result) {
	t.Helper()
	if r == nil {
		t.Fatal("no result")
	}
	if r.Errors != 0 || r.Lost != 0 || r.Interrupted {
		t.Errorf("%s: errors %d (%v), lost %d, interrupted %v", r.System, r.Errors, r.ErrorCodes, r.Lost, r.Interrupted)
	}
	l := r.Latency
	if r.Sent == 0 || r.Delivered == 0 || r.Throughput <= 0 || l.Count == 0 {
		t.Errorf("%s: nothing measured: %+v", r.System, r)
	}
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("%s: percentiles out of order: %+v", r.System, l)
	}
}

func TestScenariosAgainstEcho(t *testing.T) {
	e, err := startEcho(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.stop()
	sys := &echo{url: e.url, http: httpClient(4)}
	open := quick(ScenarioChat)
	open.Rate = 400
	for name, c := range map[string]struct {
		cfg Config
		run scenarioFunc
	}{
		"chat closed loop": {quick(ScenarioChat), runMessaging},
		"chat open loop":   {open, runMessaging},
		"fanout":           {quick(ScenarioFanout), runMessaging},
		"init":             {quick(ScenarioInit), runInit},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := c.run(t.Context(), c.cfg, sys, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r)
			if c.cfg.Scenario == ScenarioFanout && r.Expected != r.Sent*int64(c.cfg.Agents) {
				t.Errorf("fanout: %d sent should make %d deliveries, not %d", r.Sent, r.Sent*int64(c.cfg.Agents), r.Expected)
			}
			if c.cfg.Rate > 0 && (r.SendRate < c.cfg.Rate*0.5 || r.SendRate > c.cfg.Rate*1.5) {
				t.Errorf("open loop at %.0f/s sent %.0f/s", c.cfg.Rate, r.SendRate)
			}
		})
	}
	t.Run("connections", func(t *testing.T) {
		r, err := runConnections(t.Context(), quick(ScenarioConnections), sys, nil, nil)
		if err != nil || r.Connections != 20 || r.Errors != 0 {
			t.Fatalf("%+v, %v", r, err)
		}
	})
}

func TestReport(t *testing.T) {
	p := &Result{System: "parley", Connections: 2, Sent: 10, Throughput: 50, Latency: Percentiles{P50: 2, P99: 8}}
	b := &Result{System: "echo", Connections: 2, Sent: 40, Throughput: 200, Latency: Percentiles{P50: 1, P99: 2}}
	rep := &Report{Scenario: ScenarioChat, Parley: p, Baseline: b, Ratio: ratio(p, b)}
	if rep.Ratio.Throughput != 0.25 || rep.Ratio.P99 != 4 {
		t.Errorf("ratio %+v", rep.Ratio)
	}
	var table, js bytes.Buffer
	if err := rep.writeTable(&table); err != nil || !strings.Contains(table.String(), "deliveries/s") {
		t.Errorf("table:\n%s\n%v", table.String(), err)
	}
	var back Report
	if err := rep.writeJSON(&js); err != nil || json.Unmarshal(js.Bytes(), &back) != nil || back.Parley.Throughput != 50 {
		t.Errorf("json:\n%s\n%v", js.String(), err)
	}
}

func TestConfigRefusesUnboundedRuns(t *testing.T) {
	cfg := Defaults()
	cfg.Duration = 0
	if err := cfg.Validate(); err == nil {
		t.Error("a run without a duration was accepted")
	}
}
