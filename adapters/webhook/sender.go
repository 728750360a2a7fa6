package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// sender POSTs deliveries. It follows no redirect: a receiver that moved
// must be configured again, not followed to wherever a 3xx points.
type sender struct {
	client  *http.Client
	secret  []byte
	timeout time.Duration
}

func newSender(secret []byte, timeout time.Duration) *sender {
	return &sender{
		secret:  secret,
		timeout: timeout,
		client: &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConnsPerHost: 16,
				IdleConnTimeout:     90 * time.Second,
			},
		},
	}
}

// post delivers body to spec's URL and returns nil for a 2xx answer. Its
// errors hold no URL, which may carry a credential in its query.
func (s *sender) post(ctx context.Context, spec Spec, deliveryID string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, spec.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Parley-Webhook/1")
	h.Set("X-Parley-Webhook", spec.Name)
	h.Set("X-Parley-Delivery", deliveryID)
	h.Set("X-Parley-Signature", Sign(s.secret, body))
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s", s.timeout)
		}
		return err
	}
	defer resp.Body.Close()
	// Read a little of the answer so the connection can be reused; a
	// receiver has nothing to tell us in it.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("status %d: redirects are not followed", resp.StatusCode)
	}
	return fmt.Errorf("status %d", resp.StatusCode)
}
