package ws

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// memConn is a connection of another transport held in memory: it keeps
// the frames the hub writes and, when autoSent, reports each as written.
type memConn struct {
	mu       sync.Mutex
	frames   []string
	closed   []byte
	peer     *Peer
	autoSent bool
}

func (m *memConn) Write(frame []byte) error {
	m.mu.Lock()
	if m.closed != nil {
		m.mu.Unlock()
		return fmt.Errorf("closed")
	}
	m.frames = append(m.frames, string(frame))
	m.mu.Unlock()
	if m.autoSent {
		go m.peer.Sent()
	}
	return nil
}

func (m *memConn) CloseWithMsg(msg []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed == nil {
		m.closed = msg
	}
	return nil
}

func (m *memConn) IsClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed != nil
}

func (m *memConn) has(part string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.frames {
		if strings.Contains(f, part) {
			return true
		}
	}
	return false
}

// TestAnAttachedConnectionIsServedAsAWebsocket: frames given to a Peer are
// handled by the websocket's handlers, answered through the Conn, and its
// close stores the leave. (Delivery between transports needs the live feed:
// the end-to-end tests cover it.)
func TestAnAttachedConnectionIsServedAsAWebsocket(t *testing.T) {
	th := newTestHub(t)
	conv := th.start(t)
	mc := &memConn{autoSent: true}
	mc.peer = th.Attach(mc, domain.Principal{Unchecked: true})
	mc.peer.Receive([]byte(fmt.Sprintf(`{"event":"joinConversation","data":{"conversationId":%q,"id":"agent-1","role":"agent"},"ack":1}`, conv.ConversationID)))
	waitFor(t, func() bool { return mc.has(`"event":"ack"`) && mc.has(`"event":"conversationInfo"`) })
	mc.peer.Receive([]byte(`{"event":"sendMessage","data":{"type":"ChatMessage","text":"over another transport"},"ack":2}`))
	waitFor(t, func() bool { return mc.has(`"text":"over another transport"`) && mc.has(`"ack":2`) })
	mc.peer.Receive([]byte(`{"event":"dance","ack":3}`))
	waitFor(t, func() bool { return mc.has(`"code":"unknown_event"`) && mc.has(`"ack":3`) })
	mc.peer.ReceiveBinary()
	waitFor(t, func() bool { return mc.has(`not binary`) })

	mc.peer.Closed()
	if kinds := activities(t, th.store, conv.ConversationID); len(kinds) != 2 || kinds[1] != domain.ActivityParticipantLeft {
		t.Fatalf("stored %v, want a join then a leave", kinds)
	}
}

// TestAnAttachedSlowReaderIsClosed: a transport that writes nothing is
// closed with CloseSlowReader once OutboundBuffer frames wait.
func TestAnAttachedSlowReaderIsClosed(t *testing.T) {
	th := newTestHubWith(t, Config{OutboundBuffer: 4})
	mc := &memConn{}
	mc.peer = th.Attach(mc, domain.Principal{Unchecked: true})
	defer mc.peer.Closed()
	for i := range 10 {
		mc.peer.Receive([]byte(fmt.Sprintf(`{"event":"dance","ack":%d}`, i)))
	}
	waitFor(t, mc.IsClosed)
	if code := CloseCode(mc.closed); code != CloseSlowReader {
		t.Fatalf("closed with %d, want %d", code, CloseSlowReader)
	}
}
