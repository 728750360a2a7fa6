package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/webhook"
)

// Webhooks is what the webhook routes need of the webhook adapter.
type Webhooks interface {
	// List returns the status of every configured webhook.
	List(ctx context.Context) ([]webhook.Status, error)
	// Pause, Resume and Replay store an operator's control; each returns
	// the webhook's status, or CodeNotFound of domain/webhook.
	Pause(ctx context.Context, name, by string) (webhook.Status, error)
	Resume(ctx context.Context, name, by string) (webhook.Status, error)
	Replay(ctx context.Context, name string, from webhook.From, by string) (webhook.Status, error)
}

// routeOps mounts the operators' routes: the webhooks, when configured,
// and /metrics, when it is served on the main address.
func (s *Server) routeOps(e *echo.Echo, api *echo.Group) {
	if s.cfg.Metrics != nil {
		e.GET("/metrics", s.metrics, s.authenticate)
	}
	if s.cfg.Webhooks == nil {
		return
	}
	api.GET("/webhooks", s.listWebhooks)
	api.POST("/webhooks/:webhook/replay", s.replayWebhook)
	api.POST("/webhooks/:webhook/pause", s.controlWebhook(Webhooks.Pause))
	api.POST("/webhooks/:webhook/resume", s.controlWebhook(Webhooks.Resume))
}

// metrics serves the Prometheus scrape to staff keys (anyone with
// authentication off).
func (s *Server) metrics(c echo.Context) error {
	if err := webhook.CanView(principalOf(c)); err != nil {
		return err
	}
	s.cfg.Metrics.ServeHTTP(c.Response(), c.Request())
	return nil
}

func (s *Server) listWebhooks(c echo.Context) error {
	if err := webhook.CanView(principalOf(c)); err != nil {
		return err
	}
	list, err := s.cfg.Webhooks.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": list})
}

func (s *Server) replayWebhook(c echo.Context) error {
	p := principalOf(c)
	if err := webhook.CanControl(p); err != nil {
		return err
	}
	raw, err := s.readJSONBody(c)
	if err != nil {
		return err
	}
	var body struct {
		From json.RawMessage `json:"from"`
	}
	if err := decodeJSON(raw, &body, true); err != nil {
		return domain.Errorf(domain.CodeInvalid, `the body must be {"from": "start" | POSITION | RFC3339}: %v`, err)
	}
	from, err := webhook.ParseFrom(body.From)
	if err != nil {
		return err
	}
	st, err := s.cfg.Webhooks.Replay(c.Request().Context(), c.Param("webhook"), from, actor(p))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) controlWebhook(do func(Webhooks, context.Context, string, string) (webhook.Status, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := principalOf(c)
		if err := webhook.CanControl(p); err != nil {
			return err
		}
		st, err := do(s.cfg.Webhooks, c.Request().Context(), c.Param("webhook"), actor(p))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, st)
	}
}

// actor names who asked, for the record.
func actor(p domain.Principal) string {
	if p.Name == "" {
		return "anonymous"
	}
	return p.Name
}
