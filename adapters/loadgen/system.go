package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// system is what a scenario runs against: Parley, or the echo ceiling.
type system interface {
	// name is "parley" or "echo".
	name() string
	// base is the HTTP base URL.
	base() string
	// conversation starts conversation i and connects its customer and
	// agents, each joined to it.
	conversation(ctx context.Context, i, agents int, s *sink, inFlight int) (customer *conn, staff []*conn, err error)
	// socket opens a bare socket.
	socket(ctx context.Context, s *sink) (*conn, error)
	// start starts a conversation and returns its id, for the init scenario.
	start(ctx context.Context, i int) error
}

// shards numbers connections, to spread their latency records.
var shards atomic.Int64

func nextShard() int { return int(shards.Add(1)) }

// httpClient keeps enough idle connections for every setup worker.
func httpClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = workers*2, workers*2
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// parley is a running Parley server.
type parley struct {
	t      target
	apiKey string
	run    string // makes this run's request ids unique
	http   *http.Client
	// agentWS, when set, is where agent j of conversation i connects
	// (another node); nil connects agents to this server.
	agentWS func(i, j int) string
}

func (p *parley) name() string { return "parley" }
func (p *parley) base() string { return p.t.base }

// initAnswer is the part of init's answer a customer needs to join.
type initAnswer struct {
	ConversationID string `json:"conversationId"`
	Participant    struct {
		ID string `json:"id"`
	} `json:"participant"`
	Token string `json:"token"`
}

// initRetrying is init that waits and tries again while the server answers
// rate_limited: its per-address bucket has a small burst, which setup
// workers starting conversations at once can exceed whatever the rate.
func (p *parley) initRetrying(ctx context.Context, i int) (initAnswer, error) {
	for attempt := 1; ; attempt++ {
		a, err := p.init(ctx, i)
		var se *statusError
		if !errors.As(err, &se) || se.status != http.StatusTooManyRequests || attempt == 100 {
			return a, err
		}
		if !sleepCtx(ctx, time.Duration(attempt)*5*time.Millisecond) {
			return a, err
		}
	}
}

func (p *parley) init(ctx context.Context, i int) (initAnswer, error) {
	body, _ := json.Marshal(map[string]string{
		"firstName": "Bench", "lastName": "Customer " + strconv.Itoa(i), "channel": "web", "language": "en",
		"email": "bench-" + p.run + "-" + strconv.Itoa(i) + "@example.com", "requestId": p.run + "-" + strconv.Itoa(i),
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.t.base+"/api/customer/init", bytes.NewReader(body))
	if err != nil {
		return initAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		return initAnswer{}, fmt.Errorf("init: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return initAnswer{}, &statusError{status: resp.StatusCode, body: string(raw)}
	}
	var a initAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return initAnswer{}, fmt.Errorf("init answered %q: %w", raw, err)
	}
	return a, nil
}

func (p *parley) start(ctx context.Context, i int) error {
	_, err := p.init(ctx, i)
	return err
}

func (p *parley) conversation(ctx context.Context, i, agents int, s *sink, inFlight int) (*conn, []*conn, error) {
	a, err := p.initRetrying(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	customer, err := dial(ctx, p.t.ws, a.Token, nextShard(), s, inFlight)
	if err != nil {
		return nil, nil, err
	}
	staff := make([]*conn, 0, agents)
	fail := func(err error) (*conn, []*conn, error) {
		closeAll(append(staff, customer))
		return nil, nil, err
	}
	if _, err := customer.call(ctx, "joinConversation", map[string]any{
		"conversationId": a.ConversationID, "id": a.Participant.ID, "name": "Customer", "token": a.Token,
	}); err != nil {
		return fail(fmt.Errorf("customer %w", err))
	}
	for j := range agents {
		ws := p.t.ws
		if p.agentWS != nil {
			ws = p.agentWS(i, j)
		}
		c, err := dial(ctx, ws, p.apiKey, nextShard(), s, inFlight)
		if err != nil {
			return fail(err)
		}
		staff = append(staff, c)
		id := fmt.Sprintf("bench-agent-%d", j)
		if _, err := c.call(ctx, "joinConversation", map[string]any{
			"conversationId": a.ConversationID, "id": id, "name": "Agent " + strconv.Itoa(j), "role": "agent",
		}); err != nil {
			return fail(fmt.Errorf("agent %w", err))
		}
	}
	return customer, staff, nil
}

func (p *parley) socket(ctx context.Context, s *sink) (*conn, error) {
	return dial(ctx, p.t.ws, p.apiKey, nextShard(), s, 1)
}

// echo is the echo ceiling: rooms are named in the URL, and nothing is
// stored or checked.
type echo struct {
	url  string // http://host:port
	http *http.Client
}

func (e *echo) name() string { return "echo" }
func (e *echo) base() string { return e.url }

func (e *echo) wsURL(room string) string {
	return "ws" + e.url[len("http"):] + "/ws?room=" + room
}

func (e *echo) conversation(ctx context.Context, i, agents int, s *sink, inFlight int) (*conn, []*conn, error) {
	room := strconv.Itoa(i)
	var all []*conn
	for range agents + 1 {
		c, err := dial(ctx, e.wsURL(room), "", nextShard(), s, inFlight)
		if err != nil {
			closeAll(all)
			return nil, nil, err
		}
		all = append(all, c)
	}
	return all[0], all[1:], nil
}

func (e *echo) socket(ctx context.Context, s *sink) (*conn, error) {
	return dial(ctx, e.wsURL(""), "", nextShard(), s, 1)
}

func (e *echo) start(ctx context.Context, i int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/api/customer/init",
		bytes.NewReader([]byte(`{"channel":"web","email":"bench@example.com"}`)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &statusError{status: resp.StatusCode}
	}
	return nil
}

// statusError is a REST answer other than 200.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d %s", e.status, e.body) }

// code is the error's code for the report: the server's error code when
// the body has one.
func (e *statusError) code() string {
	var b struct {
		Code string `json:"code"`
	}
	if json.Unmarshal([]byte(e.body), &b) == nil && b.Code != "" {
		return b.Code
	}
	return "http_" + strconv.Itoa(e.status)
}
