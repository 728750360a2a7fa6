package routing_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/domain/routing"
)

// An ended conversation restored from a snapshot is added as it is, or
// merged stream by stream with an entry the board got meanwhile.
func TestAdoptMergesStreamByStream(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	restored := func() *routing.Conv {
		c := &routing.Conv{Ticket: *routing.NewTicket("c1"), Started: true, Ended: true, StartedAt: at, EndedAt: at.Add(time.Minute),
			CustomerName: "Ada", ConvVersion: 9}
		c.Ticket.Version, c.Ticket.Status, c.Ticket.Agent = 1, routing.StatusAssigned, "ann"
		return c
	}
	for name, tc := range map[string]struct {
		given       func(b *routing.Board)
		wantAgent   string
		wantName    string
		wantVersion int64
		wantOpen    bool
	}{
		"absent: added as restored": {
			given: func(*routing.Board) {}, wantAgent: "ann", wantName: "Ada", wantVersion: 9,
		},
		"looked up meanwhile: the restored entry wins": {
			given: func(b *routing.Board) { b.Conv("c1") }, wantAgent: "ann", wantName: "Ada", wantVersion: 9,
		},
		"queued meanwhile with no revision: the restored end wins and it leaves Open": {
			given: func(b *routing.Board) { b.QueueNew("c1", "default", "", "", at) }, wantAgent: "ann", wantName: "Ada", wantVersion: 9,
		},
		"a later ticket revision folded meanwhile: its ticket is kept": {
			given: func(b *routing.Board) {
				c := b.Conv("c1")
				c.Ticket.Version, c.Ticket.Status, c.Ticket.Agent = 2, routing.StatusAssigned, "bob"
			},
			wantAgent: "bob", wantName: "Ada", wantVersion: 9,
		},
		"a later conversation revision folded meanwhile: its facts are kept": {
			given: func(b *routing.Board) {
				c := b.Conv("c1")
				c.ConvVersion, c.CustomerName = 10, "[erased]"
				c.Started, c.Ended = true, true
			},
			wantAgent: "ann", wantName: "[erased]", wantVersion: 10,
		},
	} {
		t.Run(name, func(t *testing.T) {
			// Given a board,
			b := routing.NewBoard()
			tc.given(b)
			// when the restored entry is adopted,
			b.Adopt(restored())
			// then the board holds the merge, in Open only if it is open.
			c := b.Convs["c1"]
			if c.Ticket.Agent != tc.wantAgent || c.CustomerName != tc.wantName || c.ConvVersion != tc.wantVersion {
				t.Fatalf("got agent %q, name %q, version %d", c.Ticket.Agent, c.CustomerName, c.ConvVersion)
			}
			if _, open := b.Open["c1"]; open != tc.wantOpen {
				t.Fatalf("in Open: %v, want %v", open, tc.wantOpen)
			}
		})
	}
}
