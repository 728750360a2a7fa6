package e2e

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// roundTripBound is how long one message of the well-behaved pair may take,
// send to ack and delivery, while the server is under abuse: generous, as
// the machine may be loaded; starvation would take far longer.
const roundTripBound = 2 * time.Second

// TestAbuseLeavesOthersServed attacks the real process, with authentication
// and the default rate limits on, with oversized frames, invalid JSON,
// unknown events, binary frames, a flood beyond the rate limit and 5,000 bad
// frames on one socket. Throughout, a customer and an agent of another
// conversation keep exchanging messages, each within roundTripBound; every
// bad frame is answered with an error without closing its socket, except
// oversized ones, which close that socket alone with 1009; and the server's
// memory stays bounded.
func TestAbuseLeavesOthersServed(t *testing.T) {
	const (
		maxFrame = 16 << 10
		flood    = 500
		badMany  = 5000
	)
	s := startServer(t, t.TempDir(), "--max-frame-bytes", strconv.Itoa(maxFrame))
	pid := s.cmd.Process.Pid

	calm := startChat(t, s, map[string]any{"channel": "web", "refId": "calm"})
	customer := dial(t, s, "calm-customer")
	customer.mustCall("joinConversation", map[string]any{"conversationId": calm.ConversationID, "token": calm.Token})
	agent := dialAs(t, s, "calm-agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": calm.ConversationID})
	customer.next("conversationInfo")
	agent.next("conversationInfo")
	rssBefore := rssKB(t, pid)

	stop := make(chan struct{})
	var calmResult exchangeResult
	var calmDone sync.WaitGroup
	calmDone.Add(1)
	go func() { defer calmDone.Done(); calmResult = exchange(customer, agent, stop, 10, 5000) }()
	stopCalm := func() exchangeResult {
		select {
		case <-stop:
		default:
			close(stop)
		}
		calmDone.Wait()
		return calmResult
	}
	defer stopCalm()

	target := startChat(t, s, map[string]any{"channel": "web", "refId": "target"})
	abuser := dialRaw(t, s, agentKey)
	joinRaw(t, abuser, map[string]any{"conversationId": target.ConversationID})

	t.Run("oversized frames close only their socket, with 1009", func(t *testing.T) {
		for _, kind := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			big := dialRaw(t, s, "")
			payload := append([]byte(`{"event":"sendMessage","data":{"text":"`), bytes.Repeat([]byte("x"), maxFrame)...)
			if err := big.WriteMessage(kind, append(payload, `"}}`...)); err != nil {
				t.Fatalf("write: %v", err)
			}
			_, err := readAnswer(big, 10*time.Second)
			if closeCode(err) != websocket.CloseMessageTooBig {
				t.Fatalf("frame type %d over --max-frame-bytes: read gave %v, want close 1009", kind, err)
			}
		}
		// A frame just under the bound is read, and refused for what it says.
		if err := abuser.WriteMessage(websocket.TextMessage, append([]byte(`{"event":"nope","ack":"u","pad":"`), append(bytes.Repeat([]byte("y"), maxFrame-64), `"}`...)...)); err != nil {
			t.Fatal(err)
		}
		expectCode(t, abuser, "unknown_event")
	})

	t.Run("bad frames get errors and keep the socket open", func(t *testing.T) {
		for _, tc := range []struct {
			kind  int
			frame string
			code  string
		}{
			{websocket.TextMessage, `{not json`, "invalid_request"},
			{websocket.TextMessage, `[1,2,3]`, "invalid_request"},
			{websocket.TextMessage, `"a string"`, "invalid_request"},
			{websocket.TextMessage, `null`, "invalid_request"},
			{websocket.TextMessage, ``, "invalid_request"},
			{websocket.TextMessage, strings.Repeat("[", 12000), "invalid_request"},
			{websocket.TextMessage, `{"event":"dance","ack":"a1","data":{}}`, "unknown_event"},
			{websocket.TextMessage, "{\"event\":\"\xff\xfe\",\"ack\":\"a2\"}", "unknown_event"},
			{websocket.TextMessage, `{"event":"sendMessage","ack":{"x":1},"data":{}}`, "invalid_request"},
			{websocket.TextMessage, `{"event":"sendMessage","ack":"a3","data":"text"}`, "invalid_request"},
			{websocket.TextMessage, `{"event":"sendMessage","ack":"a4","data":{"type":"ChatMessage","text":5}}`, "invalid_request"},
			{websocket.TextMessage, `{"event":"joinConversation","ack":"a5","data":{"conversationId":"` + calm.ConversationID + `","role":"supervisor"}}`, "forbidden"},
			{websocket.BinaryMessage, `{"event":"sendMessage","data":{"text":"binary"}}`, "invalid_request"},
			{websocket.BinaryMessage, "\x00\x01\x02", "invalid_request"},
		} {
			if err := abuser.WriteMessage(tc.kind, []byte(tc.frame)); err != nil {
				t.Fatalf("write %.40q: %v", tc.frame, err)
			}
			expectCode(t, abuser, tc.code)
		}
	})

	t.Run("a flood beyond the rate limit is refused with rate_limited", func(t *testing.T) {
		codes := blast(t, abuser, flood, func(i int) (int, []byte) {
			return websocket.TextMessage, fmt.Appendf(nil, `{"event":"dance","ack":"f%d"}`, i)
		})
		t.Logf("flood of %d frames: %v", flood, codes)
		if codes["rate_limited"] == 0 || codes["unknown_event"] == 0 || codes["rate_limited"]+codes["unknown_event"] != flood {
			t.Fatalf("flood of %d answered %v; want unknown_event up to the burst, then rate_limited", flood, codes)
		}
		// Binary frames spend the same budget, which the flood has used up.
		codes = blast(t, abuser, flood, func(int) (int, []byte) { return websocket.BinaryMessage, []byte("\x00") })
		t.Logf("binary flood of %d frames: %v", flood, codes)
		if codes["rate_limited"] == 0 {
			t.Fatalf("binary flood of %d answered %v; want rate_limited once the budget is spent", flood, codes)
		}
	})

	t.Run("thousands of bad frames on one socket are all answered", func(t *testing.T) {
		junk := [][]byte{[]byte(`{not json`), []byte(`{"event":"dance"}`), []byte(`[]`), []byte(`{"event":5}`)}
		codes := blast(t, abuser, badMany, func(i int) (int, []byte) {
			if i%5 == 4 {
				return websocket.BinaryMessage, []byte("\x00binary")
			}
			return websocket.TextMessage, junk[i%len(junk)]
		})
		t.Logf("%d bad frames: %v", badMany, codes)
		total := 0
		for code, n := range codes {
			if code != "rate_limited" && code != "invalid_request" && code != "unknown_event" {
				t.Errorf("%d answers with code %s", n, code)
			}
			total += n
		}
		if total != badMany || codes["rate_limited"] == 0 {
			t.Fatalf("%d bad frames answered %v", badMany, codes)
		}
	})

	// The abusive socket is still open and, once its budget refills, served.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := abuser.WriteJSON(map[string]any{"event": "sendMessage", "ack": "ok", "data": map[string]any{"type": "ChatMessage", "text": "sorry"}}); err != nil {
			t.Fatalf("the abusive socket was closed: %v", err)
		}
		f, err := readAnswer(abuser, 10*time.Second)
		if err != nil {
			t.Fatalf("the abusive socket was closed: %v", err)
		}
		if f.Event == "ack" {
			break
		}
		if code := decode[errorBody](t, f.Data).Code; code != "rate_limited" || time.Now().After(deadline) {
			t.Fatalf("a good frame after the abuse answered %s", f.Data)
		}
		time.Sleep(200 * time.Millisecond)
	}

	r := stopCalm()
	rssAfter := rssKB(t, pid)
	t.Logf("well-behaved pair: %d round trips, slowest %s; server RSS %d MiB before, %d MiB after (%+d MiB)",
		r.rounds, r.slowest.Round(time.Millisecond), rssBefore>>10, rssAfter>>10, (rssAfter-rssBefore)>>10)
	if r.err != nil {
		t.Fatalf("the well-behaved pair was starved: %v", r.err)
	}
	if r.rounds < 10 {
		t.Fatalf("the well-behaved pair completed only %d round trips", r.rounds)
	}
	if grew := rssAfter - rssBefore; grew > 200<<10 {
		t.Fatalf("server RSS grew by %d MiB under abuse", grew>>10)
	}
	if code := s.do(t, "GET", "/healthz", nil, nil); code != 200 {
		t.Fatalf("healthz after the abuse: %d", code)
	}
}

// expectCode reads the next answer on conn and checks it is an error with code.
func expectCode(t *testing.T, conn *websocket.Conn, code string) {
	t.Helper()
	f, err := readAnswer(conn, 10*time.Second)
	if err != nil {
		t.Fatalf("want error %s, the socket gave %v", code, err)
	}
	if f.Event != "error" || decode[errorBody](t, f.Data).Code != code {
		t.Fatalf("want error %s, got %s %s", code, f.Event, f.Data)
	}
}

// blastWindow bounds the frames blast has written and not yet seen answered.
// The server answers every refused frame, one write each, and drops a
// connection whose answers pile up beyond --outbound-buffer (1024) as a slow
// reader; a client that never waits for answers is dropped, whose case the
// slow reader test covers.
const blastWindow = 200

// blast writes n frames from a second goroutine as fast as the answers come
// back, at most blastWindow ahead, while reading the n answers, and counts
// them by error code. Each frame gets exactly one answer, so it stops by
// itself; a deadline bounds it on a slow machine.
func blast(t *testing.T, conn *websocket.Conn, n int, frameOf func(int) (int, []byte)) map[string]int {
	t.Helper()
	window := make(chan struct{}, blastWindow)
	done := make(chan struct{})
	defer close(done)
	written := make(chan error, 1)
	go func() {
		for i := range n {
			select {
			case window <- struct{}{}:
			case <-done:
				written <- nil
				return
			}
			kind, b := frameOf(i)
			if err := conn.WriteMessage(kind, b); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	codes := map[string]int{}
	deadline := time.Now().Add(2 * time.Minute)
	for i := range n {
		f, err := readAnswer(conn, time.Until(deadline))
		if err != nil {
			t.Fatalf("answer %d of %d: %v (close code %d; so far %v)", i+1, n, err, closeCode(err), codes)
		}
		<-window
		if f.Event != "error" {
			t.Fatalf("answer %d of %d is %s %s, want an error", i+1, n, f.Event, f.Data)
		}
		codes[decode[errorBody](t, f.Data).Code]++
	}
	if err := <-written; err != nil {
		t.Fatalf("write: %v", err)
	}
	return codes
}

// roundPace is the least time between two rounds of exchange: each side
// then sends at most 20 frames a second, under the default limit of 50.
const roundPace = 25 * time.Millisecond

// exchangeResult is what exchange measured.
type exchangeResult struct {
	rounds  int
	slowest time.Duration
	err     error
}

// exchange has a and b take turns sending a message with an ack, at least
// minRounds times, then until stop is closed or maxRounds are done; each
// round must be acknowledged and delivered to the other within
// roundTripBound.
func exchange(a, b *wsClient, stop <-chan struct{}, minRounds, maxRounds int) exchangeResult {
	var r exchangeResult
	for i := range maxRounds {
		if i >= minRounds {
			select {
			case <-stop:
				return r
			default:
			}
		}
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		text := fmt.Sprintf("calm %d", i)
		start := time.Now()
		if _, err := from.tryCall("sendMessage", map[string]any{"type": "ChatMessage", "text": text}, roundTripBound); err != nil {
			r.err = fmt.Errorf("round %d: %w", i, err)
			return r
		}
		if _, ok := to.take(isChat(text), time.Until(start.Add(roundTripBound))); !ok {
			r.err = fmt.Errorf("round %d: %s did not receive %q within %s", i, to.name, text, roundTripBound)
			return r
		}
		r.slowest = max(r.slowest, time.Since(start))
		r.rounds++
		// A chat's pace, well under the rate limit even on a fast machine.
		time.Sleep(time.Until(start.Add(roundPace)))
	}
	return r
}
