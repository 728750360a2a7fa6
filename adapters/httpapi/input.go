package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
)

// checkPathIDs refuses a request whose path ids (conversation, message,
// channel, transcript type) are too long or oddly formed, before any
// handler looks them up or writes them into an answer or a log line.
func checkPathIDs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		values := c.ParamValues()
		for i, name := range c.ParamNames() {
			if name == "*" || i >= len(values) {
				continue // the catch-all of unknown routes, answered 404
			}
			if err := domain.CheckID(name, values[i]); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// readJSONBody returns the body of a request that must carry JSON. A body of
// another media type is refused with 415, so that a browser on another
// origin cannot send it as a "simple request" without a CORS preflight; a
// body over --max-body-bytes is refused with 413 whether its length was
// announced or it came in chunks.
func (s *Server) readJSONBody(c echo.Context) ([]byte, error) {
	req := c.Request()
	ct := req.Header.Get(echo.HeaderContentType)
	if media, _, err := mime.ParseMediaType(ct); err != nil || media != echo.MIMEApplicationJSON {
		return nil, echo.NewHTTPError(http.StatusUnsupportedMediaType,
			"the body must be sent with Content-Type: application/json, not "+quoteHeader(ct))
	}
	raw, err := io.ReadAll(req.Body)
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return nil, domain.Errorf(domain.CodeTooLarge, "the body is larger than %d bytes", s.cfg.MaxBodyBytes)
	}
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "the body could not be read")
	}
	return raw, nil
}

// decodeJSON decodes raw, which must hold one JSON value and nothing after
// it but white space, into v; unknown object fields are refused when strict.
func decodeJSON(raw []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

// errTrailing tells that a JSON body goes on after its value.
var errTrailing = errors.New("the body goes on after the JSON value")

// quoteHeader quotes a header value for a message, clipped.
func quoteHeader(v string) string {
	if v == "" {
		return "none"
	}
	return strconv.Quote(domain.Clip(v))
}
