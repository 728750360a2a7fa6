package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/webhook"
)

// statusOf maps every domain error code to its HTTP status, in one place.
var statusOf = map[domain.Code]int{
	domain.CodeInvalid:           http.StatusBadRequest,
	domain.CodeInvalidMessage:    http.StatusBadRequest,
	domain.CodeUnknownChannel:    http.StatusBadRequest,
	domain.CodeSchema:            http.StatusBadRequest,
	domain.CodeUnknownEvent:      http.StatusBadRequest,
	domain.CodeUnknownQueue:      http.StatusBadRequest,
	domain.CodeAgentUnavailable:  http.StatusConflict,
	domain.CodeNotFound:          http.StatusNotFound,
	domain.CodeStreamNotFound:    http.StatusNotFound,
	domain.CodeChannelNotFound:   http.StatusNotFound,
	domain.CodeMessageNotFound:   http.StatusNotFound,
	webhook.CodeNotFound:         http.StatusNotFound,
	domain.CodeOngoing:           http.StatusNotFound,
	domain.CodeCustomerNotFound:  http.StatusNotFound,
	domain.CodeErased:            http.StatusGone,
	domain.CodeNoEmail:           http.StatusUnprocessableEntity,
	domain.CodeEnded:             http.StatusConflict,
	domain.CodeConflict:          http.StatusConflict,
	domain.CodeWrongExpectedRev:  http.StatusConflict,
	domain.CodeAlreadyRegistered: http.StatusConflict,
	domain.CodeNotParticipant:    http.StatusForbidden,
	domain.CodeForbidden:         http.StatusForbidden,
	domain.CodeUnauthenticated:   http.StatusUnauthorized,
	domain.CodeTooLarge:          http.StatusRequestEntityTooLarge,
	domain.CodeRateLimited:       http.StatusTooManyRequests,
	domain.CodeLimitExceeded:     http.StatusTooManyRequests,
	domain.CodeUnavailable:       http.StatusServiceUnavailable,
	domain.CodeInternal:          http.StatusInternalServerError,
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

// handleError is echo's error handler: every error leaves as a status code
// and an errorBody. Errors without a code are logged in full and shown
// generically.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	body, status := s.describe(err, c)
	if s.cfg.OnError != nil {
		s.cfg.OnError(body.Code)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

func (s *Server) describe(err error, c echo.Context) (errorBody, int) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		// Routing and middleware errors (unknown route, wrong method, body
		// over the limit) come from echo, not from the domain.
		code := domain.CodeInvalid
		switch he.Code {
		case http.StatusNotFound:
			code = "route_not_found"
		case http.StatusMethodNotAllowed:
			code = "method_not_allowed"
		case http.StatusRequestEntityTooLarge:
			code = domain.CodeTooLarge
		case http.StatusUnsupportedMediaType:
			code = "unsupported_media_type"
		}
		msg, _ := he.Message.(string)
		if msg == "" {
			msg = http.StatusText(he.Code)
		}
		return errorBody{Code: code, Message: msg}, he.Code
	}
	code := domain.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.logger.Error("request failed", "method", domain.Clip(c.Request().Method), "path", c.Path(), "err", err)
	}
	body := errorBody{Code: code, Message: domain.ErrorMessage(err)}
	var de *domain.Error
	if errors.As(err, &de) {
		body.Field = de.Field
	}
	return body, status
}
