package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routeErasure mounts DELETE /api/customers/{customerId}/personal-data
// when erasure is configured.
func (s *Server) routeErasure(api *echo.Group) {
	if s.cfg.Erase == nil {
		return
	}
	api.DELETE("/customers/:customerId/personal-data", s.erasePersonalData)
}

// erasePersonalData destroys a customer's data key (supervisors only):
// 204 when done, and 204 again when repeated.
func (s *Server) erasePersonalData(c echo.Context) error {
	if err := principalOf(c).CanErase(); err != nil {
		return err
	}
	id := c.Param("customerId")
	if err := s.cfg.Erase(c.Request().Context(), id); err != nil {
		return err
	}
	s.logger.Info("personal data erased", "customerId", id, "by", principalOf(c).Name)
	return c.NoContent(http.StatusNoContent)
}
