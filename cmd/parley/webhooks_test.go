package main

import (
	"flag"
	"strings"
	"testing"
)

// TestWebhookConfigFromEnvironment: PARLEY_WEBHOOKS holds several specs
// separated by white space, and PARLEY_WEBHOOK_SECRET the secret; a
// --webhook on the command line wins over the environment.
func TestWebhookConfigFromEnvironment(t *testing.T) {
	t.Setenv("PARLEY_WEBHOOKS", "crm=https://crm.example.com/in;personal=true\n\tbot=http://127.0.0.1:9000/hook;types=ChatMessage")
	t.Setenv("PARLEY_WEBHOOK_SECRET", strings.Repeat("s", 32))
	parse := func(args ...string) *Main {
		t.Helper()
		var cfg ServeConfig
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		cfg.flags(fs)
		if err := parseFlags(fs, args); err != nil {
			t.Fatal(err)
		}
		return &Main{Config: cfg}
	}
	m := parse()
	if err := m.checkWebhooks(); err != nil {
		t.Fatal(err)
	}
	if got := m.webhookSpecs(); len(got) != 2 || !strings.HasPrefix(got[1], "bot=") {
		t.Fatalf("specs from PARLEY_WEBHOOKS = %q", got)
	}
	if got := parse("--webhook", "only=http://127.0.0.1:1/x").webhookSpecs(); len(got) != 1 || got[0] != "only=http://127.0.0.1:1/x" {
		t.Fatalf("--webhook did not win: %q", got)
	}

	t.Setenv("PARLEY_WEBHOOK_SECRET", "short")
	if err := parse().checkWebhooks(); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("a short secret: %v", err)
	}
	t.Setenv("PARLEY_WEBHOOKS", "crm=gopher://x")
	if err := parse().checkWebhooks(); err == nil || !strings.Contains(err.Error(), "http or https") {
		t.Fatalf("a gopher URL: %v", err)
	}
}
