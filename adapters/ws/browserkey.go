package ws

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// Browsers cannot set Authorization on a websocket upgrade, so the console
// sends its API key as a subprotocol instead: it asks for the protocols
// "parley" and "parley.key.<base64url of the key>", and the server picks
// "parley", which the browser requires to be one it asked for. Nothing but
// the upgrade reads the key.
const (
	browserProtocol = "parley"
	keyProtocol     = "parley.key."
)

// protocolCredential returns the API key a browser sent as a subprotocol,
// or "" when it sent none (or a malformed one, which then fails as a
// missing credential would).
func protocolCredential(r *http.Request) string {
	for _, p := range websocket.Subprotocols(r) {
		if enc, ok := strings.CutPrefix(p, keyProtocol); ok {
			key, err := base64.RawURLEncoding.DecodeString(enc)
			if err != nil {
				return ""
			}
			return string(key)
		}
	}
	return ""
}
