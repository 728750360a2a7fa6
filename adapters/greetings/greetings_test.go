package greetings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGreeting(t *testing.T) {
	shipped := Default()
	file := filepath.Join(t.TempDir(), "greetings.json")
	if err := os.WriteFile(file, []byte(`{"pt-BR": "Olá, {name}!", "de": "Hallo {name}"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	custom, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		templates *Templates
		lang      string
		want      string
	}{
		{"English", shipped, "en", "Welcome, Ada."},
		{"no language", shipped, "", "Welcome, Ada."},
		{"a region falls back to its base", shipped, "de-AT", "Willkommen, Ada."},
		{"an unknown language falls back to English", shipped, "ja", "Welcome, Ada."},
		{"tags match in any case", shipped, "FR-ca", "Bienvenue, Ada."},
		{"the file's region", custom, "pt-BR", "Olá, Ada!"},
		{"the shipped base beside the file's region", custom, "pt-PT", "Bem-vindo, Ada."},
		{"the file wins", custom, "de", "Hallo Ada"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.templates.Greeting(tc.lang, "Ada"); got != tc.want {
				t.Fatalf("Greeting(%q) = %q, want %q", tc.lang, got, tc.want)
			}
		})
	}
	for _, lang := range []string{"en", "de", "fr", "es", "ar", "he"} {
		if _, ok := shipped.byTag[lang]; !ok {
			t.Errorf("no shipped template for %s", lang)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `{`, "JSON object"},
		{"a bad tag", `{"english!": "Hi {name}"}`, "BCP 47"},
		{"an empty text", `{"en": " "}`, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "g.json")
			_ = os.WriteFile(file, []byte(tc.body), 0o644)
			if _, err := Load(file); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want an error about %s", err, tc.want)
			}
		})
	}
}
