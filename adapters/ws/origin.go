package ws

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/parley-chat/parley/domain"
)

// originChecker returns the upgrade's Origin check: browsers send an
// Origin, and a page on another site must not open a socket that speaks for
// a user unless the site is allowed.
func originChecker(allowed []string) func(*http.Request) bool {
	set := map[string]bool{}
	for _, o := range allowed {
		set[strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))] = true
	}
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" || set["*"] || set[strings.ToLower(origin)] {
			return true
		}
		u, err := url.Parse(origin)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
}

// writeHTTPError answers a refused upgrade with the REST error body.
func writeHTTPError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorData{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err)})
}
