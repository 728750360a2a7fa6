package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
)

// me is what GET /api/me tells a front-end of its own credential: its role
// and name, never the secret, so a page meant for one role (the audit page,
// for supervisors) can turn others away before it loads anything.
type me struct {
	Role string `json:"role"`
	Name string `json:"name,omitempty"`
	// AuthOff is set when the server runs with authentication off: every
	// action is allowed, whatever the role.
	AuthOff bool `json:"authOff,omitempty"`
}

func (s *Server) getMe(c echo.Context) error {
	p := principalOf(c)
	switch {
	case p.Unchecked:
		return c.JSON(http.StatusOK, me{Role: string(domain.RoleSupervisor), AuthOff: true})
	case p.Role == "":
		return domain.Errorf(domain.CodeUnauthenticated, "this needs credentials: an API key or a customer token")
	}
	return c.JSON(http.StatusOK, me{Role: string(p.Role), Name: p.Name})
}
