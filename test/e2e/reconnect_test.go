package e2e

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestReconnectResumesWithoutGaps drops a customer's socket abruptly while
// an agent sends 1,000 messages, and rejoins it with since (the last
// sequence it saw) while the agent is still sending. What the customer got
// before the drop, the rejoin's conversationInfo and the live deliveries
// after it must together be the 1,000 messages exactly: in order, none
// missing, none twice.
func TestReconnectResumesWithoutGaps(t *testing.T) {
	const total = 1000
	s := startServer(t, t.TempDir(), loadLimits...)
	chat := startChat(t, s, map[string]any{"channel": "web", "refId": "resume"})
	join := map[string]any{"conversationId": chat.ConversationID, "token": chat.Token}

	first := dial(t, s, "customer")
	first.mustCall("joinConversation", join)
	var seen []message // everything the customer received, in order
	seen = append(seen, decode[conversationInfo](t, first.next("conversationInfo").Data).Messages...)
	agent := dialAs(t, s, "agent", agentKey)
	agent.mustCall("joinConversation", map[string]any{"conversationId": chat.ConversationID})

	// The agent pauses twice so that the test covers every case whatever the
	// machine's speed: at half until the customer has dropped (messages
	// then go out while it is away), and at three quarters until it has
	// rejoined (the rejoin races the messages in between).
	dropped, rejoined := make(chan struct{}), make(chan struct{})
	var sent atomic.Int64
	sending := make(chan error, 1)
	go func() {
		for i := range total {
			gate := map[int]chan struct{}{total / 2: dropped, total * 3 / 4: rejoined}[i]
			if gate != nil {
				select {
				case <-gate:
				case <-time.After(time.Minute):
					sending <- errors.New("the customer did not drop or rejoin within a minute")
					return
				}
			}
			if _, err := agent.tryCall("sendMessage", map[string]any{"type": "ChatMessage", "text": strconv.Itoa(i)}, 30*time.Second); err != nil {
				sending <- fmt.Errorf("message %d: %w", i, err)
				return
			}
			sent.Add(1)
		}
		sending <- nil
	}()

	// Drop mid-stream, without a close frame, as a lost network would.
	for chats(seen) < total/10 {
		f, ok := first.take(isEvent("messageArrived"), 30*time.Second)
		if !ok {
			t.Fatalf("the customer got %d messages, then nothing for 30s", chats(seen))
		}
		seen = append(seen, decode[message](t, f.Data))
	}
	first.conn.Close()
	<-first.closed
	for {
		f, ok := first.takeQueued(isEvent("messageArrived"))
		if !ok {
			break
		}
		seen = append(seen, decode[message](t, f.Data))
	}
	since := sequenceOf(t, seen[len(seen)-1])
	t.Logf("dropped after %d of %d messages (sequence %d), %d sent", chats(seen), total, since, sent.Load())
	close(dropped)

	join["since"] = since
	again := dial(t, s, "customer-again")
	ack := decode[struct {
		Sequence int64 `json:"sequence"`
	}](t, again.mustCall("joinConversation", join).Data)
	close(rejoined)
	info := decode[conversationInfo](t, again.next("conversationInfo").Data)
	t.Logf("rejoined with since %d at %d sent: conversationInfo holds %d messages up to sequence %d", since, sent.Load(), len(info.Messages), ack.Sequence)
	for _, m := range info.Messages {
		if sequenceOf(t, m) <= since {
			t.Fatalf("conversationInfo after since %d holds sequence %d", since, *m.Sequence)
		}
	}
	seen = append(seen, info.Messages...)

	deadline := time.Now().Add(2 * time.Minute)
	for chats(seen) < total {
		f, ok := again.take(isEvent("messageArrived"), time.Until(deadline))
		if !ok {
			t.Fatalf("after the rejoin the customer has %d of %d messages (sending: %d sent)", chats(seen), total, sent.Load())
		}
		seen = append(seen, decode[message](t, f.Data))
	}
	if err := <-sending; err != nil {
		t.Fatal(err)
	}
	again.expectNone(300*time.Millisecond, isChat(`"ChatMessage"`))

	last := int64(-1)
	next := 0
	for _, m := range seen {
		seq := sequenceOf(t, m)
		if seq <= last {
			t.Fatalf("sequence %d (%s %q) after %d: out of order or twice", seq, m.Type, m.Text, last)
		}
		last = seq
		if m.Type != "ChatMessage" {
			continue
		}
		if m.Text != strconv.Itoa(next) {
			t.Fatalf("message %d is %q, want %q", next, m.Text, strconv.Itoa(next))
		}
		next++
	}
	if next != total {
		t.Fatalf("the customer got %d messages, want %d", next, total)
	}
}

func chats(ms []message) int {
	n := 0
	for _, m := range ms {
		if m.Type == "ChatMessage" {
			n++
		}
	}
	return n
}

func isEvent(event string) func(frame) bool {
	return func(f frame) bool { return f.Event == event }
}
