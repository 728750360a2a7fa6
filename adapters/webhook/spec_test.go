package webhook_test

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley/adapters/webhook"
)

func TestParseSpec(t *testing.T) {
	tests := map[string]struct {
		spec    string
		want    webhook.Spec
		wantErr string
	}{
		"plain":            {spec: "crm=https://crm.example.com/hook", want: webhook.Spec{Name: "crm", URL: "https://crm.example.com/hook"}},
		"every option":     {spec: "bot=http://127.0.0.1:9000/in?x=1;types=ChatMessage,ConversationStarted;personal=true;whispers=true", want: webhook.Spec{Name: "bot", URL: "http://127.0.0.1:9000/in?x=1", Types: map[string]bool{"ChatMessage": true, "ConversationStarted": true}, Personal: true, Whispers: true}},
		"no name":          {spec: "=https://x.example", wantErr: "the name must be"},
		"no equals":        {spec: "https://x.example", wantErr: "no '='"},
		"ftp":              {spec: "a=ftp://x.example/", wantErr: "must be http or https"},
		"relative":         {spec: "a=/hook", wantErr: "must be http or https"},
		"no host":          {spec: "a=http:///hook", wantErr: "no host"},
		"unknown option":   {spec: "a=http://x.example;retries=3", wantErr: `unknown option "retries"`},
		"bad bool":         {spec: "a=http://x.example;personal=yes", wantErr: "true or false"},
		"empty type":       {spec: "a=http://x.example;types=A,,B", wantErr: "empty type"},
		"option twice":     {spec: "a=http://x.example;personal=true;personal=false", wantErr: "given twice"},
		"name with spaces": {spec: "my hook=http://x.example", wantErr: "the name must be"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := webhook.ParseSpec(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.URL != tt.want.URL || got.Personal != tt.want.Personal || got.Whispers != tt.want.Whispers || len(got.Types) != len(tt.want.Types) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for typ := range tt.want.Types {
				if !got.Types[typ] {
					t.Errorf("type %s missing", typ)
				}
			}
		})
	}
}

func TestParseSpecsRefusesTwoOfOneName(t *testing.T) {
	if _, err := webhook.ParseSpecs([]string{"a=http://x.example", "a=http://y.example"}); err == nil || !strings.Contains(err.Error(), "configured twice") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRefusesShortSecret(t *testing.T) {
	specs, _ := webhook.ParseSpecs([]string{"a=http://x.example"})
	_, err := webhook.New(webhook.Config{Store: openStore(t), Webhooks: specs, Secret: []byte("short"), Node: "n", NewID: func() string { return "x" }})
	if err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("err = %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"1"}`)
	sig := webhook.Sign(testSecret, body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("signature %q", sig)
	}
	if !webhook.Verify(testSecret, body, sig) || webhook.Verify(testSecret, []byte(`{"id":"2"}`), sig) || webhook.Verify([]byte("other"), body, sig) {
		t.Fatal("Verify accepts what it must not, or refuses the signature")
	}
}
