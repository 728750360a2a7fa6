package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-chat/parley/web"
)

// api stands in for the REST edge: it answers every request it gets.
var api = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"code":"route_not_found","message":"no such endpoint"}`)
})

func TestServing(t *testing.T) {
	h := web.New(web.Config{AuthOff: true}, api)
	assets := "/assets/" + h.Version()
	for name, tc := range map[string]struct {
		method, path string
		// then
		status       int
		contentType  string
		cacheControl string
		contains     string
	}{
		"the landing page links the console and the demo": {"GET", "/", 200, "text/html; charset=utf-8", "no-cache", `href="/console"`},
		"the console says that authentication is off":     {"GET", "/console", 200, "text/html; charset=utf-8", "no-cache", `content="off"`},
		"the console loads hashed modules":                {"GET", "/console", 200, "text/html; charset=utf-8", "no-cache", assets + "/console/console.js"},
		"the demo page":                                   {"GET", "/demo", 200, "text/html; charset=utf-8", "no-cache", assets + "/demo.js"},
		"the loader keeps its URL and imports by hash":    {"GET", "/widget.js", 200, "text/javascript; charset=utf-8", "no-cache", assets + "/widget/widget.js"},
		"a hashed module is cached for good":              {"GET", assets + "/widget/widget.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "export function mount"},
		"a hashed stylesheet":                             {"GET", assets + "/widget/widget.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", ":host"},
		"HEAD answers like GET, without a body":           {"HEAD", "/", 200, "text/html; charset=utf-8", "no-cache", ""},
		"an asset of another version goes to the API":     {"GET", "/assets/000000000000/widget/widget.js", 404, "application/json", "", "route_not_found"},
		"a page is not served under the hash":             {"GET", assets + "/console.html", 404, "application/json", "", "route_not_found"},
		"an unknown path goes to the API":                 {"GET", "/nope", 404, "application/json", "", "route_not_found"},
		"a POST to a page goes to the API":                {"POST", "/", 404, "application/json", "", "route_not_found"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if got := res.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := res.Header.Get("Cache-Control"); got != tc.cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tc.cacheControl)
			}
			if body := rec.Body.String(); !strings.Contains(body, tc.contains) {
				t.Errorf("body lacks %q:\n%.300s", tc.contains, body)
			}
			if tc.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD has a body of %d bytes", rec.Body.Len())
			}
		})
	}
}

func TestPagesRefuseInlineScript(t *testing.T) {
	h := web.New(web.Config{}, api)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("Content-Security-Policy %q allows inline scripts", csp)
	}
	if !strings.Contains(rec.Body.String(), `content="on"`) {
		t.Fatal("the console does not say that authentication is on")
	}
}

func TestRevalidation(t *testing.T) {
	h := web.New(web.Config{}, api)
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest("GET", "/widget.js", nil))
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest("GET", "/widget.js", nil)
	req.Header.Set("If-None-Match", etag)
	again := httptest.NewRecorder()
	h.ServeHTTP(again, req)
	if again.Code != http.StatusNotModified {
		t.Fatalf("revalidation answered %d, want 304", again.Code)
	}
}

func TestWidgetModulesMayBeImportedFromAnySite(t *testing.T) {
	h := web.New(web.Config{}, api)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/"+h.Version()+"/lib/link.js", nil))
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Fatalf("Access-Control-Allow-Origin %q, want *", got)
	}
}
