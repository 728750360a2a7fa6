package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/webhook"
	"github.com/parley-chat/parley/domain"
)

// WebhookConfig is how parley serve delivers webhooks.
type WebhookConfig struct {
	Specs      specList
	Secret     string
	Timeout    time.Duration
	Backoff    time.Duration
	MaxBackoff time.Duration
	Lease      time.Duration
}

// specList is a repeatable flag.
type specList []string

func (l *specList) String() string { return strings.Join(*l, " ") }

// Set implements flag.Value: each --webhook adds one spec.
func (l *specList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func (c *WebhookConfig) flags(fs *flag.FlagSet) {
	fs.Var(&c.Specs, "webhook", "a webhook: 'NAME=URL[;types=A,B][;personal=true][;whispers=true]'; repeatable (PARLEY_WEBHOOKS holds several, separated by white space)")
	fs.StringVar(&c.Secret, "webhook-secret", "", "secret that signs webhook bodies (X-Parley-Signature), at least 32 bytes")
	fs.DurationVar(&c.Timeout, "webhook-timeout", webhook.DefaultTimeout, "how long a webhook receiver has to answer one delivery")
	fs.DurationVar(&c.Backoff, "webhook-backoff", webhook.DefaultBackoff, "wait before the first retry of a failed delivery; doubled each time")
	fs.DurationVar(&c.MaxBackoff, "webhook-max-backoff", webhook.DefaultMaxBackoff, "longest wait between retries of a failed delivery")
	fs.DurationVar(&c.Lease, "webhook-lease", webhook.DefaultLease, "how long a node's claim on a webhook holds unless renewed: how long a dead node delays delivery")
}

// specs returns the configured webhook specs: --webhook, or else
// PARLEY_WEBHOOKS.
func (m *Main) webhookSpecs() []string {
	if len(m.Config.Webhooks.Specs) > 0 {
		return m.Config.Webhooks.Specs
	}
	return strings.Fields(os.Getenv("PARLEY_WEBHOOKS"))
}

// checkWebhooks refuses a malformed spec or a short secret before anything
// starts.
func (m *Main) checkWebhooks() error {
	raw := m.webhookSpecs()
	if len(raw) == 0 {
		return nil
	}
	if _, err := webhook.ParseSpecs(raw); err != nil {
		return err
	}
	if n := len(m.Config.Webhooks.Secret); n < webhook.MinSecretBytes {
		return fmt.Errorf("webhooks need a secret of at least %d bytes to sign with: set --webhook-secret (PARLEY_WEBHOOK_SECRET); this one has %d", webhook.MinSecretBytes, n)
	}
	return nil
}

// newWebhooks parses the webhook configuration, refusing a malformed spec
// or a short secret, and returns nil when no webhook is configured.
func (m *Main) newWebhooks(store domain.EventStore, onAttempt func(string, error, time.Duration),
	trace func(context.Context, string, domain.RecordedEvent) (context.Context, func(error))) (*webhook.Manager, error) {
	raw := m.webhookSpecs()
	if len(raw) == 0 {
		return nil, nil
	}
	specs, err := webhook.ParseSpecs(raw)
	if err != nil {
		return nil, err
	}
	c := m.Config.Webhooks
	return webhook.New(webhook.Config{
		Store: store, Webhooks: specs, Secret: []byte(c.Secret),
		Timeout: c.Timeout, Backoff: c.Backoff, MaxBackoff: c.MaxBackoff, Lease: c.Lease,
		Node: uuid.NewString(), Now: time.Now, NewID: uuid.NewString, Logger: m.Logger,
		OnAttempt: onAttempt, Trace: trace,
	})
}

// startWebhooks runs the webhooks until the live feed stops.
func (m *Main) startWebhooks(ctx context.Context, hooks *webhook.Manager) {
	if hooks == nil {
		return
	}
	m.transcripts.Go(func() { hooks.Run(ctx) })
	m.Logger.Info("webhooks delivering", "webhooks", strings.Join(hooks.Names(), ","))
}
