// Package auth proves who a request speaks for: customer tokens (HMAC-signed
// JWTs bound to one conversation and one participant) and API keys for staff
// and systems.
package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley/domain"
)

// keyRoles are the roles an API key may carry.
var keyRoles = map[domain.Role]bool{
	domain.RoleAgent: true, domain.RoleBot: true, domain.RoleSupervisor: true,
	domain.RoleConnector: true, domain.RoleSender: true,
}

// Authenticator checks credentials. The zero value is not usable; see New.
type Authenticator struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
	// keys by the SHA-256 of their secret: looking a hash up reveals nothing
	// about a secret's prefix through timing, as comparing secrets would.
	keys map[[32]byte]domain.Principal
}

// Config configures an Authenticator.
type Config struct {
	// Secret signs customer tokens; at least 32 bytes.
	Secret string
	// TokenTTL is how long a customer token is valid.
	TokenTTL time.Duration
	// APIKeys is "name:role:secret" entries separated by commas or newlines.
	APIKeys string
	Now     func() time.Time
}

// New returns an Authenticator, or every problem with cfg.
func New(cfg Config) (*Authenticator, error) {
	var errs []error
	if len(cfg.Secret) < 32 {
		errs = append(errs, errors.New("auth: the token secret must be at least 32 bytes"))
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys, err := ParseKeys(cfg.APIKeys)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Authenticator{secret: []byte(cfg.Secret), ttl: cfg.TokenTTL, now: cfg.Now, keys: keys}, nil
}

// ParseKeys reads "name:role:secret" entries separated by commas or
// newlines; blank entries and lines starting with # are skipped.
func ParseKeys(spec string) (map[[32]byte]domain.Principal, error) {
	keys := map[[32]byte]domain.Principal{}
	var errs []error
	for i, entry := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == '\n' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" || strings.HasPrefix(entry, "#") {
			continue
		}
		parts := strings.SplitN(entry, ":", 3)
		if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
			errs = append(errs, fmt.Errorf("auth: API key %d: want name:role:secret", i+1))
			continue
		}
		// A key's name is an id wherever it appears: the agent id of
		// staff, the channel of a connector, in paths and in events.
		if err := domain.CheckID("name", parts[0]); err != nil {
			errs = append(errs, fmt.Errorf("auth: API key %d: the name must be 1 to %d letters, digits or -_.~@+", i+1, domain.MaxIDLength))
			continue
		}
		role := domain.Role(parts[1])
		if !keyRoles[role] {
			errs = append(errs, fmt.Errorf("auth: API key %q: role %q is not one of agent, bot, supervisor, connector, sender", parts[0], role))
			continue
		}
		if len(parts[2]) < 16 {
			errs = append(errs, fmt.Errorf("auth: API key %q: the secret must be at least 16 characters", parts[0]))
			continue
		}
		keys[sha256.Sum256([]byte(parts[2]))] = domain.Principal{Name: parts[0], Role: role}
	}
	return keys, errors.Join(errs...)
}

// ReadKeysFile returns the contents of an API keys file.
func ReadKeysFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("auth: read API keys: %w", err)
	}
	return string(b), nil
}

// claims are a customer token's claims.
type claims struct {
	Conversation string `json:"cid"`
	jwt.RegisteredClaims
}

// IssueCustomerToken returns a token that lets participant join conversation
// conv as its customer, and nothing else.
func (a *Authenticator) IssueCustomerToken(conv, participant string) (string, error) {
	now := a.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Conversation: conv,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   participant,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(a.ttl)),
			Issuer:    "parley",
		},
	})
	return tok.SignedString(a.secret)
}

// Authenticate returns the principal a bearer credential proves: an API key
// or a customer token. It returns a *domain.Error with CodeUnauthenticated
// for anything else.
func (a *Authenticator) Authenticate(credential string) (domain.Principal, error) {
	credential = strings.TrimSpace(credential)
	if credential == "" {
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "credentials are missing")
	}
	if p, ok := a.keys[sha256.Sum256([]byte(credential))]; ok {
		return p, nil
	}
	var c claims
	_, err := jwt.ParseWithClaims(credential, &c, func(*jwt.Token) (any, error) { return a.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer("parley"),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "the token has expired; start a new chat")
	case err != nil || c.Conversation == "" || c.Subject == "":
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "the credentials are not valid")
	}
	return domain.Principal{Name: c.Subject, Role: domain.RoleCustomer, ConversationID: c.Conversation, ParticipantID: c.Subject}, nil
}
