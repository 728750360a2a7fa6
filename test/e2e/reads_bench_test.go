package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkConversationReads16 measures the server's memory while 16 clients
// read a 26 MB conversation (2,600 messages of 10,000 characters) at once,
// over and over: each op is one round of 16 concurrent reads, with GET
// /api/conversations/{id} (get: the newest messages) or by joining it on a
// new websocket with since 0 (join: the oldest).
// The server is a build without the race detector (or the binary in
// PARLEY_BENCH_BINARY, to measure another build the same way); its resident
// memory is sampled every 5 ms.
func BenchmarkConversationReads16(b *testing.B) {
	const messages, textLen, readers = 2600, 10000, 16
	bin := os.Getenv("PARLEY_BENCH_BINARY")
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "parley")
		build := exec.Command("go", "build", "-o", bin, "github.com/parley-chat/parley/cmd/parley")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build parley: %v\n%s", err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--data-dir", b.TempDir(),
		"--auth-secret", testSecret, "--api-keys", testKeys, "--log-level", "warn", "--max-sockets-per-conversation", "1000"}, loadLimits...)...)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	b.Cleanup(func() { terminate(cmd, done, 10*time.Second) })
	base := "http://" + addr
	waitReady(b, base, done, &logs)
	conv := fillConversation(b, addr, base, messages, textLen)

	b.Run("get", func(b *testing.B) {
		measureRounds(b, cmd.Process.Pid, readers, func() (int64, error) {
			req, _ := http.NewRequest("GET", base+"/api/conversations/"+conv, nil)
			req.Header.Set("Authorization", "Bearer "+agentKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			n, err := io.Copy(io.Discard, resp.Body)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("GET: %d", resp.StatusCode)
			}
			return n, err
		})
	})
	b.Run("join", func(b *testing.B) {
		measureRounds(b, cmd.Process.Pid, readers, func() (int64, error) {
			conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Authorization": {"Bearer " + agentKey}})
			if err != nil {
				return 0, err
			}
			defer conn.Close()
			if err := conn.WriteJSON(map[string]any{"event": "joinConversation", "ack": 1, "data": map[string]any{"conversationId": conv, "since": 0}}); err != nil {
				return 0, err
			}
			var info int64
			for {
				_, raw, err := conn.ReadMessage()
				if err != nil {
					return 0, err
				}
				switch {
				case bytes.HasPrefix(raw, []byte(`{"event":"conversationInfo"`)):
					info = int64(len(raw))
				case bytes.HasPrefix(raw, []byte(`{"event":"ack"`)):
					return info, nil
				case bytes.HasPrefix(raw, []byte(`{"event":"error"`)):
					return 0, fmt.Errorf("join: %s", raw)
				}
			}
		})
	})
}

// measureRounds runs rounds of n concurrent calls of read, which returns the
// size of the answer, while it samples the resident memory of process pid.
func measureRounds(b *testing.B, pid, n int, read func() (int64, error)) {
	rssBefore := procKB(pid, "VmRSS:")
	if rssBefore == 0 {
		b.Fatal("cannot read the server's memory in /proc")
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if kb := procKB(pid, "VmRSS:"); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var answer atomic.Int64
	for b.Loop() {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				size, err := read()
				if err != nil {
					b.Error(err)
				}
				answer.Store(size)
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	close(stop)
	<-sampled
	b.ReportMetric(float64(rssBefore)/1024, "rss-before-MB")
	b.ReportMetric(float64(peak.Load())/1024, "rss-peak-MB")
	b.ReportMetric(float64(answer.Load())/1e6, "answer-MB")
}

// waitReady waits until the server answers /healthz.
func waitReady(b *testing.B, base string, done <-chan struct{}, logs *syncBuffer) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			b.Fatalf("parley exited:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("parley not ready after 30s:\n%s", logs.String())
		}
	}
}

// fillConversation starts a conversation and has an agent post n messages
// of textLen characters to it, one after the other, each acknowledged.
func fillConversation(b *testing.B, addr, base string, n, textLen int) string {
	resp, err := http.Post(base+"/api/customer/init", "application/json", strings.NewReader(`{"channel":"web","refId":"long"}`))
	if err != nil {
		b.Fatal(err)
	}
	var started initAnswer
	err = json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Authorization": {"Bearer " + agentKey}})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	call := func(event string, data any) {
		if err := conn.WriteJSON(map[string]any{"event": event, "data": data, "ack": 1}); err != nil {
			b.Fatal(err)
		}
		f, err := readAnswer(conn, 30*time.Second)
		if err != nil || f.Event != "ack" {
			b.Fatalf("%s: %v %s", event, err, f.Data)
		}
	}
	call("joinConversation", map[string]any{"conversationId": started.ConversationID})
	text := strings.Repeat("0123456789", textLen/10)
	for i := range n {
		call("sendMessage", map[string]any{"type": "ChatMessage", "text": fmt.Sprintf("%05d", i) + text[5:]})
	}
	return started.ConversationID
}

// procKB reads one kB field (VmRSS:, VmHWM:) of /proc/PID/status; 0 when
// it cannot.
func procKB(pid int, field string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(raw) {
		if rest, ok := bytes.CutPrefix(line, []byte(field)); ok {
			var kb int64
			fmt.Sscanf(string(rest), "%d", &kb)
			return kb
		}
	}
	return 0
}
