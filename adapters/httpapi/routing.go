package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/router"
	"github.com/parley-chat/parley/projections"
)

// RoutingConfig turns on routing's part of the REST API: new conversations
// are queued, and staff read conversations, queues and agents.
type RoutingConfig struct {
	// Enqueue queues a conversation init just started.
	Enqueue func(ctx context.Context, started domain.ConversationStarted) error
	View    RoutingView
	// QueueNames lists every queue, the default one included.
	QueueNames []string
}

// RoutingView is the read model the staff's view reads.
type RoutingView interface {
	// Conversations returns the rows that pass f, one page of them, and the
	// cursor of the next page ("" after the last); right after a restart it
	// may wait, within ctx, for the whole list.
	Conversations(ctx context.Context, f projections.ConversationFilter) ([]projections.ConversationRow, string, error)
	// Queues returns the figures of every queue in names at now.
	Queues(names []string, now time.Time) []projections.QueueView
	// Agents returns every agent known to routing; all are the queue names.
	Agents(all []string, now time.Time) []router.AgentView
}

// Page sizes of GET /api/conversations.
const (
	defaultConversationPage = 50
	maxConversationPage     = 500
)

func (s *Server) routeRouting(api *echo.Group) {
	if s.cfg.Routing == nil {
		return
	}
	api.GET("/conversations", s.listConversations)
	api.GET("/queues", s.listQueues)
	api.GET("/agents", s.listAgents)
}

// enqueue queues a conversation init started; a failure is logged, not
// answered: the conversation exists, and the router queues it when the
// customer writes.
func (s *Server) enqueue(ctx context.Context, started domain.ConversationStarted) {
	if s.cfg.Routing == nil || s.cfg.Routing.Enqueue == nil {
		return
	}
	if err := s.cfg.Routing.Enqueue(ctx, started); err != nil {
		s.logger.Error("queue a new conversation", "conversation", started.ConversationID, "err", err)
	}
}

var conversationStatuses = map[string]bool{"": true, "queued": true, "active": true, "ended": true}

func (s *Server) listConversations(c echo.Context) error {
	if err := principalOf(c).CanAudit(); err != nil {
		return err
	}
	q := c.QueryParams()
	f := projections.ConversationFilter{Status: q.Get("status"), Queue: q.Get("queue"), Agent: q.Get("agent"),
		Channel: q.Get("channel"), After: q.Get("after"), Limit: defaultConversationPage}
	if !conversationStatuses[f.Status] {
		return domain.FieldError(domain.CodeInvalid, "status", "status must be queued, active or ended, not %q", f.Status)
	}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxConversationPage {
			return domain.FieldError(domain.CodeInvalid, "limit", "limit must be a whole number from 1 to %d", maxConversationPage)
		}
		f.Limit = n
	}
	rows, next, err := s.cfg.Routing.View.Conversations(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []projections.ConversationRow{}
	}
	return c.JSON(http.StatusOK, map[string]any{"conversations": rows, "next": next})
}

func (s *Server) listQueues(c echo.Context) error {
	if err := principalOf(c).CanAudit(); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"queues": s.cfg.Routing.View.Queues(s.cfg.Routing.QueueNames, s.svc.Now())})
}

func (s *Server) listAgents(c echo.Context) error {
	if err := principalOf(c).CanAudit(); err != nil {
		return err
	}
	views := s.cfg.Routing.View.Agents(s.cfg.Routing.QueueNames, s.svc.Now())
	agents := make([]agentRow, len(views))
	for i, v := range views {
		agents[i] = agentRow{ID: v.AgentID, AgentView: v}
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": agents})
}

// agentRow is an agent as GET /api/agents lists it: `id`, as the API
// document names it, and the fields of agentState's ack, agentId included,
// which clients of the first version read.
type agentRow struct {
	ID string `json:"id"`
	router.AgentView
}
