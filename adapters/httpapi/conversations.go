package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
)

// auditEvent is one stored event as GET /api/conversations/{id}/events shows it.
type auditEvent struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Sequence uint64          `json:"sequence"`
	Position uint64          `json:"position"`
	Recorded string          `json:"recorded"`
	Data     json.RawMessage `json:"data"`
	Metadata domain.Metadata `json:"metadata"`
}

// eventsPage is a page of a conversation's history.
type eventsPage struct {
	ConversationID string       `json:"conversationId"`
	Events         []auditEvent `json:"events"`
	// Next is the from of the next page, when there may be one.
	Next *uint64 `json:"next,omitempty"`
}

const (
	defaultPage = 1000
	maxPage     = 10000
)

func (s *Server) getEvents(c echo.Context) error {
	if err := principalOf(c).CanAudit(); err != nil {
		return err
	}
	id := c.Param("id")
	from, err := queryUint(c, "from", 0)
	if err != nil {
		return err
	}
	limit, err := queryUint(c, "limit", defaultPage)
	if err != nil {
		return err
	}
	if limit == 0 || limit > maxPage {
		return domain.FieldError(domain.CodeInvalid, "limit", "limit must be between 1 and %d", maxPage)
	}
	recs, err := s.store.ReadStream(c.Request().Context(), domain.StreamName(id), from, int(limit))
	if errors.Is(err, domain.ErrStreamNotFound) {
		return domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", id)
	}
	if err != nil {
		return err
	}
	page := eventsPage{ConversationID: id, Events: make([]auditEvent, len(recs))}
	for i, r := range recs {
		page.Events[i] = auditEvent{
			ID: r.ID, Type: r.Type, Sequence: r.Revision, Position: r.Position,
			Recorded: r.Recorded.UTC().Format(time.RFC3339Nano), Data: r.Data, Metadata: r.Metadata,
		}
	}
	if uint64(len(recs)) == limit {
		next := recs[len(recs)-1].Revision + 1
		page.Next = &next
	}
	return c.JSON(http.StatusOK, page)
}

func queryUint(c echo.Context, name string, def uint64) (uint64, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	v, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, domain.FieldError(domain.CodeInvalid, name, "%s must be a whole number, got %q", name, raw)
	}
	return v, nil
}
