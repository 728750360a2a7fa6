package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/parley-chat/parley/domain"
)

func TestDecodeJSON(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"a":"b"}`:            true,
		"{\"a\":\"b\"}\r\n\t ": true,
		`{"a":"b"} x`:          false,
		`{"a":"b"}{"a":"c"}`:   false,
		`{"a":"b"}]`:           false,
		`{"a":"b"} null`:       false,
		`{"a":`:                false,
		``:                     false,
	} {
		var v map[string]string
		if err := decodeJSON([]byte(body), &v, false); (err == nil) != ok {
			t.Errorf("decodeJSON(%q) = %v, want ok=%v", body, err, ok)
		}
	}
}

// TestReadJSONBody reads bodies through echo's body limit, as the server
// does: the media type is checked first, and a body over the limit is
// too_large whether its length was announced or not.
func TestReadJSONBody(t *testing.T) {
	s := &Server{cfg: Config{MaxBodyBytes: 16}}
	for name, tc := range map[string]struct {
		contentType string
		body        io.Reader
		wantStatus  int // 0 for a body read
	}{
		"json":                {"application/json", strings.NewReader(`{"a":1}`), 0},
		"json with a charset": {"application/json; charset=utf-8", strings.NewReader(`{"a":1}`), 0},
		"text/plain":          {"text/plain", strings.NewReader(`{"a":1}`), http.StatusUnsupportedMediaType},
		"no media type":       {"", strings.NewReader(`{"a":1}`), http.StatusUnsupportedMediaType},
		"a JSON look-alike":   {"application/jsonx", strings.NewReader(`{"a":1}`), http.StatusUnsupportedMediaType},
		"sized, too large":    {"application/json", strings.NewReader(strings.Repeat(" ", 17)), http.StatusRequestEntityTooLarge},
		"chunked, too large":  {"application/json", io.MultiReader(strings.NewReader(strings.Repeat(" ", 17))), http.StatusRequestEntityTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/customer/init", tc.body)
			req.Header.Set(echo.HeaderContentType, tc.contentType)
			e := echo.New()
			c := e.NewContext(req, httptest.NewRecorder())
			var err error
			if limited := middleware.BodyLimit("16B")(func(c echo.Context) error {
				_, err = s.readJSONBody(c)
				return nil
			})(c); limited != nil {
				err = limited // refused on its announced length, before the handler
			}
			status := 0
			var he *echo.HTTPError
			switch {
			case errors.As(err, &he):
				status = he.Code
			case err != nil:
				status = statusOf[domain.ErrorCode(err)]
			}
			if status != tc.wantStatus {
				t.Fatalf("status %d (%v), want %d", status, err, tc.wantStatus)
			}
		})
	}
}
