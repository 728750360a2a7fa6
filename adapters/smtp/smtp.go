// Package smtp sends mail over SMTP with the standard library's net/smtp:
// STARTTLS whenever the server offers it, implicit TLS for smtps:// URLs,
// and AUTH PLAIN when the URL carries credentials.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/parley-chat/parley/domain"
)

var _ domain.Mailer = (*Mailer)(nil)

// Options tune a Mailer.
type Options struct {
	// TLSConfig verifies the server's certificate; nil uses the system's
	// roots and the URL's host name.
	TLSConfig *tls.Config
	// Timeout bounds one whole delivery when the context has no earlier
	// deadline; 0 means one minute.
	Timeout time.Duration
}

// Mailer is a domain.Mailer for one SMTP server.
type Mailer struct {
	addr, host  string
	user, pass  string
	auth        bool
	implicitTLS bool
	tls         *tls.Config
	timeout     time.Duration
}

// New returns a Mailer for the server of rawURL: smtp://[user:pass@]host[:port]
// (port 587 by default; STARTTLS when offered) or smtps://... (port 465,
// TLS from the start).
func New(rawURL string, opts Options) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	m := &Mailer{host: u.Hostname(), timeout: opts.Timeout}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		port = cmpOr(port, "587")
	case "smtps":
		port, m.implicitTLS = cmpOr(port, "465"), true
	default:
		return nil, fmt.Errorf("smtp url: the scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if m.host == "" {
		return nil, errors.New("smtp url: a host is required, as in smtp://user:pass@mail.example.com:587")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, errors.New("smtp url: only smtp://[user:pass@]host[:port] is understood")
	}
	if u.User != nil {
		m.user, m.auth = u.User.Username(), true
		m.pass, _ = u.User.Password()
	}
	m.addr = net.JoinHostPort(m.host, port)
	m.tls = opts.TLSConfig
	if m.tls == nil {
		m.tls = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
	}
	if m.timeout <= 0 {
		m.timeout = time.Minute
	}
	return m, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Send implements domain.Mailer. A 5xx answer to the sender, a recipient or
// the message wraps domain.ErrMailRejected; every other failure (the server
// unreachable, a 4xx answer, a failed login) may pass and is returned as is.
func (m *Mailer) Send(ctx context.Context, mail domain.Mail) error {
	msg, from, to, err := compose(mail, time.Now())
	if err != nil {
		return fmt.Errorf("%w: %v", domain.ErrMailRejected, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", m.addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if m.implicitTLS {
		conn = tls.Client(conn, m.tls)
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("smtp: greeting from %s: %w", m.addr, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !m.implicitTLS {
		if err := c.StartTLS(m.tls); err != nil {
			return fmt.Errorf("smtp: STARTTLS with %s: %w", m.addr, err)
		}
	}
	if m.auth {
		// PlainAuth refuses to send the password in clear text except to
		// localhost: a server without TLS does not get it.
		if err := c.Auth(smtp.PlainAuth("", m.user, m.pass, m.host)); err != nil {
			return fmt.Errorf("smtp: log in to %s: %w", m.addr, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return classify("sender", err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify("recipient", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("message", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: send message: %w", err)
	}
	if err := w.Close(); err != nil {
		return classify("message", err)
	}
	_ = c.Quit() // the message is accepted; a failed goodbye changes nothing
	return nil
}

// classify marks a permanent (5xx) refusal as domain.ErrMailRejected.
func classify(what string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return fmt.Errorf("smtp: %s refused: %w: %s", what, domain.ErrMailRejected, strings.TrimSpace(te.Error()))
	}
	return fmt.Errorf("smtp: %s: %w", what, err)
}
