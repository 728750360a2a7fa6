package logredact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/logredact"
)

func TestStringMasks(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"email":                      {"ada@example.com", "a***@***.com"},
		"email in a sentence":        {"mail ada.lovelace@example.co.uk today", "mail a***@***.uk today"},
		"email with plus and dots":   {"<Ada.L+chat@mail.example.org>", "<A***@***.org>"},
		"email with digits":          {"user: 5550100123@sms.example.net", "user: 5***@***.net"},
		"non-ASCII email":            {"élodie@exemple.fr", "é***@***.fr"},
		"email without TLD":          {"ada@localhost said hi", "a***@*** said hi"},
		"chained addresses":          {"0@0.AA@0.AA and 0@0.AA@0", "0***@***.AA and 0***@***"},
		"digits before an email":     {"00 00 00 0@0", "***00***@***"},
		"two emails":                 {"a@b.io, cdef@gh.ij.kl", "a***@***.io, c***@***.kl"},
		"email in JSON":              {`{"email":"ada@example.com"}`, `{"email":"a***@***.com"}`},
		"international phone":        {"+15550100123", "***23"},
		"phone with spaces":          {"call +44 20 7946 0958 now", "call ***58 now"},
		"phone with parentheses":     {"(555) 010-0123", "***23"},
		"phone with dots":            {"555.010.0123", "***23"},
		"phone with dashes":          {"tel:555-010-0123", "tel:***23"},
		"7-digit local number":       {"5550100", "***00"},
		"phone in JSON":              {`{"phone":"+15550100"}`, `{"phone":"***00"}`},
		"phone after a date":         {"2026-11-23 0171 555 5555", "2026-11-23 ***55"},
		"phone before a timestamp":   {"1234567 2026-11-23T10:00:00Z", "***67 2026-11-23T10:00:00Z"},
		"phone after a glued date":   {"A0000-00-00 0000000", "A0000-00-00 ***00"},
		"phones around a glued time": {"0000000 0000-00-00T00:0000000", "***00 0000-00-00T00:***00"},
		"phone glued to date-shape":  {"0171-55-55555", "***55"},
		"phone and email":            {"ada@example.com / +1 555 010 0123", "a***@***.com / ***23"},
		"phone that looks like IP":   {"1.555.010.0123", "***23"},
		"phone in a URL path":        {"GET /api/conversations/5550100199 failed", "GET /api/conversations/***99 failed"},
		"phone after a dot file":     {"Mr.Smith.Jones 5550100199", "Mr.Smith.Jones ***99"},
		"phone with a dot and word":  {".Smith.5550100199", ".Smith.***99"},
		"error text":                 {`init: email "ada@example.com" phone 5550100123 rejected`, `init: email "a***@***.com" phone ***23 rejected`},
	} {
		t.Run(name, func(t *testing.T) {
			if got := logredact.String(tc.in); got != tc.want {
				t.Fatalf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestStringKeeps checks that values which look like phone numbers to a
// naive pattern, but are the ids, times, addresses and positions that make
// logs useful, come out unchanged.
func TestStringKeeps(t *testing.T) {
	for name, in := range map[string]string{
		"UUID":                 "9b2c0e4a-1d2f-4c3b-8a9e-0f1e2d3c4b5a",
		"all-digit UUID":       "00000000-0000-4000-8000-000000000001",
		"UUIDs in a sentence":  "conversation 12345678-1234-4123-8123-123456789012 conn 87654321-4321-4321-8321-210987654321",
		"RFC 3339 time":        "2026-11-23T10:00:00.123Z",
		"time with offset":     "2026-11-23T10:00:00.123456789+01:00",
		"date and time":        "2026-11-23 10:00:00",
		"date":                 "on 2026-11-23",
		"IPv4 with port":       "127.0.0.1:54321",
		"long IPv4 with port":  "remote 192.168.100.200:8080 closed",
		"IPv4":                 "from 203.0.113.254",
		"IPv6 with port":       "[2001:db8::1234:5678]:8080",
		"sequence":             "sequence 1234567",
		"sequence key=value":   "sequence=12345678 position=987654321",
		"sequence in JSON":     `{"sequence":1234567,"revision":"7654321"}`,
		"since":                "rejoin since: 10000000",
		"duration":             "took 1.2345678s",
		"nanoseconds":          "123456789ns",
		"decimal":              "ratio 0.12345678",
		"hex id":               "sha 3f5a0c1234567890ab",
		"word with digits":     "node1234567",
		"short numbers":        "status=404 conn=12 port 8080",
		"six digits":           "code 123456",
		"no personal data":     "websocket connected",
		"temporary file":       ".checkpoint.json.tmp-1234567851",
		"temporary file path":  "rename /var/lib/parley/transcripts/.checkpoint.json.tmp-1234567851 /var/lib/parley/transcripts/checkpoint.json: no space left on device",
		"file named by digits": "open /data/transcripts/55/5550100199.json: permission denied",
		"relative path":        "wrote ab/x-3530303130303139392e6a736f6e.json",
		"at signs alone":       "ask @support or @ 10:00, user@ or @host",
	} {
		t.Run(name, func(t *testing.T) {
			if got := logredact.String(in); got != in {
				t.Fatalf("String(%q) = %q, want it unchanged", in, got)
			}
		})
	}
}

type customer struct {
	Name  string
	Email string
}

type plain struct{ N int }

type valuer struct{ email string }

func (v valuer) LogValue() slog.Value { return slog.StringValue(v.email) }

// TestHandler checks every place a record carries text: the message, plain
// and grouped attributes, attributes added with With and inside WithGroup,
// errors, LogValuers and other values, through both built-in handlers.
func TestHandler(t *testing.T) {
	const email, phone = "ada@example.com", "+15550100123"
	conv := "9b2c0e4a-1d2f-4c3b-8a9e-0f1e2d3c4b5a"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var inner slog.Handler = slog.NewTextHandler(&buf, nil)
			if format == "json" {
				inner = slog.NewJSONHandler(&buf, nil)
			}
			log := slog.New(logredact.New(inner)).With("customer", email).WithGroup("req")
			log.Info("init from "+email,
				"phone", phone,
				"conversation", conv,
				"sequence", uint64(12345678),
				"remote", "127.0.0.1:54321",
				"took", 1500*time.Millisecond,
				slog.Group("personal", "email", email, slog.Group("contact", "phone", phone)),
				"err", fmt.Errorf("store: %w", errors.New("refused "+email)),
				"valuer", valuer{email},
				"who", customer{Name: "Ada", Email: email},
				"count", plain{N: 42},
				"raw", []byte(phone),
			)
			out := buf.String()
			for _, raw := range []string{email, phone, "15550100123", "example"} {
				if strings.Contains(out, raw) {
					t.Errorf("output holds %q:\n%s", raw, out)
				}
			}
			took := "took=1.5s"
			if format == "json" {
				took = `"took":1500000000`
			}
			for _, kept := range []string{conv, "12345678", "127.0.0.1:54321", took, "a***@***.com", "***23"} {
				if !strings.Contains(out, kept) {
					t.Errorf("output lacks %q:\n%s", kept, out)
				}
			}
			if format == "json" {
				var rec map[string]any
				if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
					t.Fatalf("not one JSON record: %v\n%s", err, out)
				}
				req := rec["req"].(map[string]any)
				if _, ok := req["personal"].(map[string]any)["contact"].(map[string]any); !ok {
					t.Errorf("groups lost their structure: %s", out)
				}
				if _, ok := req["count"].(map[string]any); !ok {
					t.Errorf("a value without personal data lost its structure: %s", out)
				}
				if n, ok := req["sequence"].(float64); !ok || n != 12345678 {
					t.Errorf("sequence is %v, want the number 12345678", req["sequence"])
				}
			}
		})
	}
}

func TestHandlerKeepsLevel(t *testing.T) {
	var buf bytes.Buffer
	h := logredact.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("Enabled does not follow the wrapped handler")
	}
	slog.New(h).Info("hidden ada@example.com")
	if buf.Len() != 0 {
		t.Fatalf("a disabled level was written: %s", buf.String())
	}
}

func BenchmarkString(b *testing.B) {
	for name, in := range map[string]string{
		"clean":    "websocket connected",
		"ids":      "store participantLeft conversation=9b2c0e4a-1d2f-4c3b-8a9e-0f1e2d3c4b5a remote=127.0.0.1:54321",
		"personal": `init: email "ada@example.com" phone +1 555 010 0123 rejected`,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				logredact.String(in)
			}
		})
	}
}

func BenchmarkHandler(b *testing.B) {
	log := slog.New(logredact.New(slog.NewTextHandler(discard{}, nil)))
	conv := "9b2c0e4a-1d2f-4c3b-8a9e-0f1e2d3c4b5a"
	b.ReportAllocs()
	for b.Loop() {
		log.Info("http", "method", "POST", "path", "/api/customer/init", "status", 200, "conversation", conv)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
