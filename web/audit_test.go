package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-chat/parley/web"
)

// TestAuditPageURLs: one page serves the audit of every conversation at
// /console/audit/{id}; anything below it is the API's.
func TestAuditPageURLs(t *testing.T) {
	h := web.New(web.Config{}, api)
	assets := "/assets/" + h.Version()
	for name, tc := range map[string]struct {
		path     string
		status   int
		contains string
	}{
		"a conversation's audit page":   {"/console/audit/c-1", 200, assets + "/audit/audit.js"},
		"it says authentication is on":  {"/console/audit/c-1", 200, `content="on"`},
		"below it is the API's":         {"/console/audit/c-1/x", 404, "route_not_found"},
		"the audit prefix alone a page": {"/console/audit", 200, assets + "/audit/audit.js"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.contains) {
				t.Fatalf("%d %.200s, want %d with %q", rec.Code, rec.Body.String(), tc.status, tc.contains)
			}
			if tc.status == 200 && rec.Header().Get("Content-Security-Policy") == "" {
				t.Error("the audit page has no Content-Security-Policy")
			}
		})
	}
}
