// Package loadgen is Parley's load generator: real websocket clients that
// start conversations on a running server, exchange messages at a fixed
// (open-loop) rate or as fast as acknowledgements allow, and measure the
// latency from each message's scheduled send time to its arrival at the
// other participant. Each run can also measure a raw websocket echo server
// with no Parley logic under the same load, so every result comes with its
// ratio to that ceiling.
package loadgen

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Scenarios.
const (
	// ScenarioChat is customer-agent pairs, both sides sending.
	ScenarioChat = "chat"
	// ScenarioFanout is one conversation whose customer's messages reach
	// many agents.
	ScenarioFanout = "fanout"
	// ScenarioConnections holds idle sockets and reports the server's
	// memory per connection.
	ScenarioConnections = "connections"
	// ScenarioInit measures conversation starts per second.
	ScenarioInit = "init"
	// ScenarioEcho runs only the raw echo ceiling, in the chat's shape.
	ScenarioEcho = "echo"
)

// Transports of Config.Transport.
const (
	TransportWS       = "ws"
	TransportSocketIO = "socketio"
)

// Scenarios lists every scenario, for usage messages.
var Scenarios = []string{ScenarioChat, ScenarioFanout, ScenarioConnections, ScenarioInit, ScenarioEcho}

// Config is one run of the load generator.
type Config struct {
	Scenario string
	// Target is the base URL of the Parley server (http://127.0.0.1:8080).
	Target string
	// Targets, when given, are used instead of Target; several are Parley
	// nodes on one store, driven as one system: each chat pair's
	// customer is on one node and its agent on the next, so every message
	// crosses nodes, and the server's CPU is summed over all of them.
	Targets []string
	// AllowRemote permits a target that resolves to a non-loopback address.
	AllowRemote bool
	// Transport is how clients reach Parley: TransportWS (the JSON
	// websocket at /ws) or TransportSocketIO (Socket.IO over a websocket at
	// /socket.io/). The echo ceiling is always the JSON websocket.
	Transport string

	// Conversations is the number of customer-agent pairs (chat), Agents
	// the agents of the one conversation (fanout), Senders how many of its
	// participants send (fanout: the customer first, then agents),
	// Connections the sockets to hold (connections).
	Conversations int
	Agents        int
	Senders       int
	Connections   int
	// Join makes the connections scenario join its sockets to
	// conversations (customer-agent pairs) instead of leaving them bare.
	Join bool

	// Rate is the total number of messages per second to send (open loop);
	// zero sends as fast as acknowledgements allow (closed loop), with
	// InFlight messages awaiting their ack per sending socket.
	Rate     float64
	InFlight int
	// Workers is how many clients start conversations at once (setup, init).
	Workers int

	// Duration bounds the measured phase, Messages the messages sent in it
	// (zero: no bound). Warmup is a phase before it whose results are not
	// kept; Drain how long to wait after it for messages still on their way.
	Duration time.Duration
	Messages int64
	Warmup   time.Duration
	Drain    time.Duration
	// SetupTimeout bounds starting conversations and connecting sockets.
	SetupTimeout time.Duration
	// TextBytes is the length of each message's text.
	TextBytes int

	// Baseline also measures the raw echo ceiling under the same load.
	Baseline bool
	// APIKey is the staff key agents connect with when authentication is
	// on; customers use the token init returns.
	APIKey string
	// ServerPID is the server's process, for its memory and CPU; zero finds
	// it by the target's port when the target is on this machine.
	ServerPID int
	// ServerProfile, when set with DebugURL, is a file to write a CPU
	// profile of the server during the measured phase to, fetched from
	// DebugURL's /debug/pprof/profile.
	ServerProfile string
	DebugURL      string

	// EchoCommand starts the echo ceiling as its own process (it must
	// print its URL as ServeEcho does); empty runs it inside this process.
	EchoCommand []string

	// JSON writes the report as JSON instead of a table.
	JSON bool
	// Progress draws a progress line on the error output when it is a
	// terminal.
	Progress bool

	// onWindow is called as Parley's measured window opens.
	onWindow func()
}

// Defaults returns the configuration of a short chat run against the
// default local address.
func Defaults() Config {
	return Config{
		Scenario: ScenarioChat, Target: "http://127.0.0.1:8080", Transport: TransportWS,
		Conversations: 100, Agents: 32, Senders: 1, Connections: 1000,
		InFlight: 1, Workers: 16,
		Duration: 10 * time.Second, Warmup: time.Second, Drain: 2 * time.Second, SetupTimeout: 2 * time.Minute,
		TextBytes: 64, Baseline: true, Progress: true,
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	known := false
	for _, s := range Scenarios {
		known = known || s == c.Scenario
	}
	if !known {
		errs = append(errs, fmt.Errorf("unknown scenario %q: use one of %v", c.Scenario, Scenarios))
	}
	if c.Transport != "" && c.Transport != TransportWS && c.Transport != TransportSocketIO {
		errs = append(errs, fmt.Errorf("--transport %q: use %s or %s", c.Transport, TransportWS, TransportSocketIO))
	}
	for _, t := range c.targets() {
		if u, err := url.Parse(t); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--target %q: want a base URL such as http://127.0.0.1:8080", t))
		}
	}
	positive := map[string]int{"--conversations": c.Conversations, "--agents": c.Agents, "--senders": c.Senders,
		"--connections": c.Connections, "--in-flight": c.InFlight, "--workers": c.Workers}
	for name, v := range positive {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", name, v))
		}
	}
	if c.Senders > c.Agents+1 {
		errs = append(errs, fmt.Errorf("--senders %d: a fanout conversation has only %d participants", c.Senders, c.Agents+1))
	}
	if c.Rate < 0 || c.Messages < 0 || c.Warmup < 0 || c.Drain < 0 {
		errs = append(errs, errors.New("--rate, --messages, --warmup and --drain must not be negative"))
	}
	// Every loop must end by itself: a run without a duration would only
	// stop on a count, which a stalled server may never reach.
	if c.Duration <= 0 || c.Duration > time.Hour {
		errs = append(errs, fmt.Errorf("--duration must be between 0 and 1h, got %s", c.Duration))
	}
	if c.SetupTimeout <= 0 {
		errs = append(errs, errors.New("--setup-timeout must be positive"))
	}
	if c.TextBytes < 1 || c.TextBytes > 16<<10 {
		errs = append(errs, fmt.Errorf("--text-bytes must be between 1 and 16384, got %d", c.TextBytes))
	}
	if (c.ServerProfile == "") != (c.DebugURL == "") {
		errs = append(errs, errors.New("--server-profile and --debug-url go together"))
	}
	return errors.Join(errs...)
}
