package projections

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/router"
	"github.com/parley-chat/parley/domain/routing"
)

// QueueView is a queue's figures, as GET /api/queues and queueUpdated show
// them. agentsReady counts the ready agents serving the queue that can take
// a conversation; agentsBusy those serving it at full capacity.
type QueueView struct {
	Name         string `json:"name"`
	Waiting      int    `json:"waiting"`
	OldestWaitMs int64  `json:"oldestWaitMs"`
	AgentsReady  int    `json:"agentsReady"`
	AgentsBusy   int    `json:"agentsBusy"`
}

// Queues returns the figures of every queue in names at now. It reads the
// open conversations and the agents only, so it does not wait for the ended
// conversations a restore is still adding.
func (r *Routing) Queues(names []string, now time.Time) []QueueView {
	out := make([]QueueView, len(names))
	index := map[string]int{}
	for i, n := range names {
		out[i].Name = n
		index[n] = i
	}
	r.With(func(b *routing.Board) {
		for _, c := range b.Open {
			i, ok := index[c.Ticket.Queue]
			if !ok || c.Ended || c.Ticket.Status != routing.StatusQueued {
				continue
			}
			out[i].Waiting++
			out[i].OldestWaitMs = max(out[i].OldestWaitMs, now.Sub(c.Ticket.QueuedAt).Milliseconds())
		}
		for _, a := range b.Agents {
			if !a.Ready(now) {
				continue
			}
			for i := range out {
				if !a.Serves(out[i].Name) {
					continue
				}
				if a.Free() > 0 {
					out[i].AgentsReady++
				} else {
					out[i].AgentsBusy++
				}
			}
		}
	})
	return out
}

// Agents returns every agent that ever sent agentState, by id; an agent
// whose lease lapsed shows as notReady. all are the queue names. It does
// not wait for a restore either: an agent's assigned conversations leave out
// ended ones, and one still being added is left out alike.
func (r *Routing) Agents(all []string, now time.Time) []router.AgentView {
	var out []router.AgentView
	r.With(func(b *routing.Board) {
		for _, a := range b.Agents {
			if a.Version < 0 {
				continue
			}
			v := router.View(b, a, all)
			if v.State == routing.StateReady && !a.Ready(now) {
				v.State = routing.StateNotReady
			}
			out = append(out, v)
		}
	})
	slices.SortFunc(out, func(x, y router.AgentView) int { return strings.Compare(x.AgentID, y.AgentID) })
	return out
}

// ConversationFilter narrows GET /api/conversations.
type ConversationFilter struct {
	Status, Queue, Agent, Channel string
	// Limit is the page size; After is the cursor of the previous page.
	Limit int
	After string
}

// ConversationRow is one conversation of the staff's list.
type ConversationRow struct {
	ID             string             `json:"id"`
	Status         string             `json:"status"`
	Queue          string             `json:"queue"`
	Subject        string             `json:"subject"`
	Channel        string             `json:"channel"`
	Customer       domain.Participant `json:"customer"`
	Agents         []string           `json:"agents"`
	StartedAt      string             `json:"startedAt"`
	LastActivityAt string             `json:"lastActivityAt"`
	WaitingSince   string             `json:"waitingSince,omitempty"`
	cursor         string
}

// Conversations returns one page of the routed conversations that match f,
// newest activity first, and the cursor of the next page ("" at the end).
// Right after a restart it waits, within ctx, until the snapshot's ended
// conversations are on the board (see Restore): a list is whole or not
// given.
func (r *Routing) Conversations(ctx context.Context, f ConversationFilter) ([]ConversationRow, string, error) {
	if err := r.waitRestored(ctx); err != nil {
		return nil, "", err
	}
	var rows []ConversationRow
	r.With(func(b *routing.Board) {
		for id, c := range b.Convs {
			if !c.Started {
				continue
			}
			status := c.Status()
			if status == "" {
				status = "active"
			}
			if f.Status != "" && status != f.Status || f.Queue != "" && !strings.EqualFold(c.Ticket.Queue, f.Queue) ||
				f.Agent != "" && c.Ticket.Agent != f.Agent || f.Channel != "" && c.Ticket.Channel != f.Channel {
				continue
			}
			row := ConversationRow{ID: id, Status: status, Queue: c.Ticket.Queue, Subject: c.Ticket.Subject, Channel: c.Ticket.Channel,
				Customer: domain.Participant{Name: c.CustomerName}, Agents: []string{}, StartedAt: domain.FormatTime(c.StartedAt),
				LastActivityAt: domain.FormatTime(c.LastActivityAt)}
			if c.Ticket.Agent != "" {
				row.Agents = append(row.Agents, c.Ticket.Agent)
			}
			if status == "queued" {
				row.WaitingSince = domain.FormatTime(c.Ticket.QueuedAt)
			}
			row.cursor = row.LastActivityAt + "|" + id
			if f.After != "" && row.cursor >= f.After {
				continue
			}
			rows = append(rows, row)
		}
	})
	slices.SortFunc(rows, func(x, y ConversationRow) int { return strings.Compare(y.cursor, x.cursor) })
	if len(rows) > f.Limit {
		return rows[:f.Limit], rows[f.Limit-1].cursor, nil
	}
	return rows, "", nil
}
