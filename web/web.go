// Package web serves Parley's browser front-ends: the embeddable customer
// widget, the agent console, the landing page and the widget demo page. The
// files are embedded in the binary, so they need nothing from another host.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed all:assets
var embedded embed.FS

// Config tells the pages what the server they talk to expects.
type Config struct {
	// AuthOff is true when the server runs with --auth=off: the console then
	// asks only for a name, and the widget joins without a token.
	AuthOff bool
}

// Handler serves the front-ends and hands every other request to the next
// handler (the API).
type Handler struct {
	next    http.Handler
	version string
	etag    string
	// files holds every asset, by its path under assets/, with the
	// placeholders of the pages and the loader filled in.
	files map[string][]byte
	// pages maps the public, non-hashed URLs to an asset path.
	pages map[string]string
}

// auditPrefix is the URL of the audit page, followed by a conversation id.
const auditPrefix = "/console/audit"

// assetsPrefix is where the hashed, immutable copies of the assets live.
const assetsPrefix = "/assets/"

// New returns the handler; next serves everything that is not a front-end
// URL.
func New(cfg Config, next http.Handler) *Handler {
	files := map[string][]byte{}
	// Reading embedded files cannot fail.
	_ = fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		files[strings.TrimPrefix(p, "assets/")] = b
		return err
	})
	h := &Handler{next: next, version: contentHash(files), files: files, pages: map[string]string{
		"/":          "index.html",
		"/console":   "console.html",
		auditPrefix:  "audit.html",
		"/demo":      "demo.html",
		"/widget.js": "loader.js",
	}}
	auth := "on"
	if cfg.AuthOff {
		auth = "off"
	}
	// The pages differ with the server's authentication, so their ETag does.
	h.etag = `"` + h.version + "-" + auth + `"`
	fill := strings.NewReplacer("{{assets}}", assetsPrefix+h.version, "{{auth}}", auth)
	for _, p := range h.pages {
		h.files[p] = []byte(fill.Replace(string(h.files[p])))
	}
	return h
}

// Version is the content hash in every asset URL: it changes whenever any
// asset changes, so browsers may cache the assets for good.
func (h *Handler) Version() string { return h.version }

// contentHash hashes every file's path and bytes, in path order.
func contentHash(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, n := range names {
		sum.Write([]byte(n))
		sum.Write([]byte{0})
		sum.Write(files[n])
		sum.Write([]byte{0})
	}
	return hex.EncodeToString(sum.Sum(nil))[:12]
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.next.ServeHTTP(w, r)
		return
	}
	page := r.URL.Path
	if id, ok := strings.CutPrefix(page, auditPrefix+"/"); ok && id != "" && !strings.Contains(id, "/") {
		page = auditPrefix // one page for every conversation: it reads the id from its URL
	}
	if p, ok := h.pages[page]; ok {
		// Pages and the loader keep their URLs, so they are revalidated on
		// every use; what they load is hashed and cached for good.
		h.write(w, r, p, "no-cache")
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, assetsPrefix+h.version+"/"); ok && h.isAsset(rest) {
		// The widget's modules are imported from other sites' pages, which
		// fetches them in CORS mode; they are public.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.write(w, r, rest, "public, max-age=31536000, immutable")
		return
	}
	h.next.ServeHTTP(w, r)
}

// isAsset reports whether p is a file served under the hashed prefix: the
// pages are only served at their own URLs, already filled in.
func (h *Handler) isAsset(p string) bool {
	_, ok := h.files[p]
	return ok && !strings.HasSuffix(p, ".html") && p != "loader.js"
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, p, cacheControl string) {
	body := h.files[p]
	hd := w.Header()
	hd.Set("Content-Type", contentType(p))
	hd.Set("Cache-Control", cacheControl)
	hd.Set("ETag", h.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if strings.HasSuffix(p, ".html") {
		// No inline script, no other host: whatever a user typed can never
		// run even if it reached the page as markup.
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; connect-src 'self' ws: wss:; frame-ancestors 'self'")
		hd.Set("Referrer-Policy", "same-origin")
	}
	http.ServeContent(w, r, "", zeroTime, bytes.NewReader(body))
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// zeroTime makes http.ServeContent skip Last-Modified: the ETag, the
// content hash, is what revalidates.
var zeroTime = time.Time{}
