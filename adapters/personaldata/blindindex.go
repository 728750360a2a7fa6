package personaldata

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretSize is the size of the blind index's secret.
const SecretSize = 32

// blindIndex turns a customer's channel and identifier into their customer
// id: a keyed hash, so that the same person on the same channel always gets
// the same id (and data key) while the id reveals nothing of the identifier
// to whoever reads the store without the secret.
type blindIndex struct{ secret []byte }

// of returns the customer id of identity on channel: the first 16 bytes of
// HMAC-SHA-256 under the secret, in hex.
func (b blindIndex) of(channel, identity string) string {
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte(channel))
	mac.Write([]byte{0})
	mac.Write([]byte(identity))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// LoadSecret reads the blind index's secret from path, creating the file
// with 32 random bytes (readable by its owner only) when it does not exist.
// Every node of one installation must use the same secret: with another,
// a returning customer would get another customer id.
func LoadSecret(path string) ([]byte, error) {
	secret, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createSecret(path)
	}
	if err != nil {
		return nil, fmt.Errorf("personal data secret: %w", err)
	}
	if len(secret) < SecretSize {
		return nil, fmt.Errorf("personal data secret %s: %d bytes, at least %d needed", path, len(secret), SecretSize)
	}
	return secret, nil
}

// createSecret writes a new secret to a temporary file and links it into
// place, so that a crash never leaves a short secret behind and two
// processes starting at once end up with the same one.
func createSecret(path string) ([]byte, error) {
	secret := make([]byte, SecretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("personal data secret: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".secret-*")
	if err != nil {
		return nil, fmt.Errorf("personal data secret: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(secret)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	if errors.Is(err, fs.ErrExist) {
		return LoadSecret(path) // another process made it first
	}
	if err != nil {
		return nil, fmt.Errorf("personal data secret %s: %w", path, err)
	}
	return secret, nil
}
