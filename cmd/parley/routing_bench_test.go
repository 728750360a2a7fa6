package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkRoutingAssign measures, on a real server with the embedded store,
// the time from sending init to the agent's conversationAssigned, with 100
// ready agents (capacity 3, each ending a conversation as soon as it has
// joined it) and 200 inits a second for 10 seconds.
func BenchmarkRoutingAssign(b *testing.B) {
	const agents, rate, seconds = 100, 200, 10
	for b.Loop() {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		var cfg ServeConfig
		cfg.flags(fs)
		if err := fs.Parse([]string{"--addr", "127.0.0.1:0", "--data-dir", b.TempDir(), "--auth", "off",
			"--inits-per-minute", "1000000", "--init-burst", "1000000", "--frames-per-second", "1000000", "--frame-burst", "1000000"}); err != nil {
			b.Fatal(err)
		}
		m := &Main{Config: cfg, Logger: slog.New(slog.DiscardHandler)}
		if err := m.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		assignedAt := map[string]time.Time{}
		var wg sync.WaitGroup
		conns := make([]*websocket.Conn, agents)
		for i := range conns {
			c, _, err := websocket.DefaultDialer.Dial("ws://"+m.Addr+"/ws", nil)
			if err != nil {
				b.Fatal(err)
			}
			conns[i] = c
			if err := c.WriteJSON(map[string]any{"event": "agentState", "data": map[string]any{"state": "ready", "id": fmt.Sprint("agent-", i)}, "ack": 1}); err != nil {
				b.Fatal(err)
			}
			wg.Go(func() { agentLoop(c, &mu, assignedAt) })
		}
		time.Sleep(500 * time.Millisecond)

		started := map[string]time.Time{}
		var answered []time.Duration
		var smu sync.Mutex
		var inits sync.WaitGroup
		tick := time.NewTicker(time.Second / rate)
		for i := range rate * seconds {
			<-tick.C
			inits.Go(func() {
				t0 := time.Now()
				body := fmt.Sprintf(`{"channel":"web","refId":"bench-%d"}`, i)
				resp, err := http.Post("http://"+m.Addr+"/api/customer/init", "application/json", bytes.NewBufferString(body))
				if err != nil {
					return
				}
				var ans struct{ ConversationID string }
				_ = json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				smu.Lock()
				started[ans.ConversationID] = t0
				answered = append(answered, time.Since(t0))
				smu.Unlock()
			})
		}
		tick.Stop()
		inits.Wait()
		time.Sleep(2 * time.Second)
		mu.Lock()
		var lat []time.Duration
		for id, t0 := range started {
			if at, ok := assignedAt[id]; ok {
				lat = append(lat, at.Sub(t0))
			}
		}
		mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
		if err := m.Close(); err != nil {
			b.Log(err)
		}
		slices.Sort(lat)
		if len(lat) == 0 {
			b.Fatal("no conversation was assigned")
		}
		b.ReportMetric(float64(len(lat)), "assigned")
		b.ReportMetric(float64(len(started)), "inits")
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
		slices.Sort(answered)
		b.ReportMetric(ms(answered[len(answered)*99/100]), "init-p99-ms")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// agentLoop records each conversationAssigned and ends the conversation
// once its conversationInfo (the join) has come.
func agentLoop(c *websocket.Conn, mu *sync.Mutex, assignedAt map[string]time.Time) {
	for {
		_, raw, err := c.ReadMessage()
		if err != nil {
			return
		}
		var f struct {
			Event string
			Data  struct {
				ConversationID string
				Conversation   struct{ ID string }
			}
		}
		if json.Unmarshal(raw, &f) != nil {
			continue
		}
		switch f.Event {
		case "conversationAssigned":
			mu.Lock()
			assignedAt[f.Data.ConversationID] = time.Now()
			mu.Unlock()
		case "conversationInfo":
			_ = c.WriteJSON(map[string]any{"event": "endConversation", "data": map[string]any{"conversationId": f.Data.Conversation.ID}})
		}
	}
}
