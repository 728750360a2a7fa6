package httpapi

import (
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/domain"
)

const principalKey = "parley.principal"

// authenticate puts the principal of the request's bearer credentials in
// the context; a request without credentials is anonymous, and one with bad
// credentials is refused with 401.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header.Get(echo.HeaderAuthorization)
		p := domain.Principal{}
		if _, open := s.cfg.Credentials.(domain.OpenAccess); header != "" || open {
			var err error
			if p, err = s.cfg.Credentials.Authenticate(domain.BearerCredential(header)); err != nil {
				return err
			}
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func principalOf(c echo.Context) domain.Principal {
	p, _ := c.Get(principalKey).(domain.Principal)
	return p
}

// ipLimiter is a token bucket per client IP. It forgets idle IPs so that
// spoofed or many addresses cannot grow it without bound.
type ipLimiter struct {
	limit rate.Limit
	burst int
	max   int

	mu   sync.Mutex
	byIP map[string]*ipBucket
}

type ipBucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

func newIPLimiter(perMinute, burst int) *ipLimiter {
	return &ipLimiter{limit: rate.Limit(float64(perMinute) / 60), burst: burst, max: 100000, byIP: map[string]*ipBucket{}}
}

func (l *ipLimiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.byIP[ip]
	if b == nil {
		if len(l.byIP) >= l.max {
			l.forgetIdle(now)
		}
		b = &ipBucket{limiter: rate.NewLimiter(l.limit, l.burst)}
		l.byIP[ip] = b
	}
	b.seen = now
	return b.limiter.AllowN(now, 1)
}

// forgetIdle drops the buckets that have refilled, which lose nothing; if
// none has, it drops them all rather than grow.
func (l *ipLimiter) forgetIdle(now time.Time) {
	full := time.Duration(float64(l.burst)/float64(l.limit)) * time.Second
	for ip, b := range l.byIP {
		if now.Sub(b.seen) > full {
			delete(l.byIP, ip)
		}
	}
	if len(l.byIP) >= l.max {
		clear(l.byIP)
	}
}

// limitInits refuses init requests from an IP beyond its budget.
func (s *Server) limitInits(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.inits.allow(c.RealIP(), time.Now()) {
			c.Response().Header().Set("Retry-After", "60")
			return domain.Errorf(domain.CodeRateLimited, "too many conversations started from this address; retry in a minute")
		}
		return next(c)
	}
}
