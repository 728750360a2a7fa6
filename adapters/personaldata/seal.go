package personaldata

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
)

// sealedPrefix starts every sealed value. The schemas of the events that
// may hold sealed values accept it beside the plain form (ADR 41).
const sealedPrefix = "enc:"

// KeySize is the size of a data key: AES-256.
const KeySize = 32

// sealer encrypts and decrypts the values of one data key.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	if len(key) != KeySize {
		return sealer{}, errors.New("personal data: a data key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	return sealer{aead}, err
}

// seal returns the sealed form of s: enc: and the unpadded base64url of a
// random nonce, the ciphertext and the tag. ad binds it to its event, so a
// sealed value copied into another event does not open. Empty values stay
// empty: there is nothing to hide, and readers keep telling "none" apart.
func (k sealer) seal(s string, ad []byte) string {
	if s == "" {
		return ""
	}
	ns := k.aead.NonceSize()
	buf := make([]byte, ns, ns+len(s)+k.aead.Overhead())
	nonces.read(buf)
	buf = k.aead.Seal(buf, buf[:ns], []byte(s), ad)
	out := make([]byte, len(sealedPrefix)+base64.RawURLEncoding.EncodedLen(len(buf)))
	copy(out, sealedPrefix)
	base64.RawURLEncoding.Encode(out[len(sealedPrefix):], buf)
	return string(out)
}

// open returns the plain value of a sealed one, and false when v is sealed
// but does not open with this key (another key, or altered bytes).
func (k sealer) open(v string, ad []byte) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v[len(sealedPrefix):])
	ns := k.aead.NonceSize()
	if err != nil || len(raw) < ns+k.aead.Overhead() {
		return "", false
	}
	plain, err := k.aead.Open(raw[ns:ns], raw[:ns], raw[ns:], ad)
	if err != nil {
		return "", false
	}
	return string(plain), true
}

// nonceSource hands out random nonces from a buffer that crypto/rand fills
// a page at a time: a chat message seals two or three values, and reading
// the system's randomness for each was a tenth of the sealing's CPU.
// Nonces are not secret (each is stored beside its ciphertext), so holding
// the next ones in memory gives nothing away; each byte is handed out once.
type nonceSource struct {
	mu  sync.Mutex
	buf [4096]byte
	off int
}

var nonces = &nonceSource{off: 4096}

func (n *nonceSource) read(dst []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.off+len(dst) > len(n.buf) {
		if _, err := rand.Read(n.buf[:]); err != nil {
			panic("personal data: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
		}
		n.off = 0
	}
	n.off += copy(dst, n.buf[n.off:])
}

// isSealed reports whether v is in the sealed form.
func isSealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }

// associatedData binds a sealed value to its key and event.
func associatedData(keyID, eventID string) []byte {
	return []byte(keyID + "\x00" + eventID)
}
