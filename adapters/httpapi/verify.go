package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
)

// verifyResult is GET /api/conversations/{id}/verify's answer (ADR 40).
type verifyResult struct {
	// Valid is false when an event's hash does not match.
	Valid bool `json:"valid"`
	// Events is how many events the conversation's stream holds, and
	// Unchained how many of them were stored before the chain (no hash).
	Events    uint64 `json:"events"`
	Unchained uint64 `json:"unchained"`
	// Head is the hash of the last event: kept elsewhere, it lets a later
	// check prove that nothing before it changed.
	Head string `json:"head"`
	// FirstBadSequence is the sequence of the first event that breaks the
	// chain, and Reason what is wrong with it.
	FirstBadSequence *uint64 `json:"firstBadSequence,omitempty"`
	Reason           string  `json:"reason,omitempty"`
}

func (s *Server) verifyConversation(c echo.Context) error {
	if err := principalOf(c).CanAudit(); err != nil {
		return err
	}
	id := c.Param("id")
	res, err := s.cfg.Verify(c.Request().Context(), domain.StreamName(id))
	if errors.Is(err, domain.ErrStreamNotFound) {
		return domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", id)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, verifyResult{
		Valid: res.Valid(), Events: res.Events, Unchained: res.Unchained, Head: res.Head,
		FirstBadSequence: res.FirstBad, Reason: res.Reason,
	})
}
