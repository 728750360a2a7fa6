package httpapi

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// asksForPast reports whether a request for a conversation names a moment
// of its past; an empty at or asOf does, and is refused as malformed.
func asksForPast(c echo.Context) bool {
	q := c.QueryParams()
	return q.Has("at") || q.Has("asOf")
}

// pastPoint reads at or asOf, the moment of the past a request asks for.
func pastPoint(c echo.Context) (projections.Point, error) {
	q := c.QueryParams()
	at, asOf := q.Get("at"), q.Get("asOf")
	switch {
	case q.Has("at") && q.Has("asOf"):
		return projections.Point{}, domain.FieldError(domain.CodeInvalid, "asOf", "give at (a sequence) or asOf (an instant), not both")
	case q.Has("at"):
		seq, err := strconv.ParseUint(at, 10, 64)
		if err != nil || seq > 1<<62 {
			return projections.Point{}, domain.FieldError(domain.CodeInvalid, "at", "at must be the sequence of an event (a whole number), got %q", at)
		}
		return projections.AtSequence(int64(seq)), nil
	}
	t, err := time.Parse(time.RFC3339Nano, asOf)
	if err != nil {
		return projections.Point{}, domain.FieldError(domain.CodeInvalid, "asOf", "asOf must be an RFC 3339 instant such as 2026-12-04T10:00:00Z, got %q", asOf)
	}
	return projections.AtInstant(t), nil
}

// getConversationAt answers the view of a conversation as it was right
// after an event (at) or at an instant (asOf), paged as the live view is.
// Only staff may look into the past, as into the event history it is
// folded from.
func (s *Server) getConversationAt(c echo.Context, p domain.Principal, id string) error {
	if err := p.CanAudit(); err != nil {
		return err
	}
	pt, err := pastPoint(c)
	if err != nil {
		return err
	}
	q, err := s.pageQuery(c)
	if err != nil {
		return err
	}
	pg, err := projections.SelectAt(c.Request().Context(), s.store, id, pt, q)
	if err != nil {
		return err
	}
	return s.writePage(c, id, pg)
}
