package smtp_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

func decodeBase64(t *testing.T, body []byte) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
