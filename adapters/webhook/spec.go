package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Spec is one configured webhook: --webhook 'NAME=URL[;types=A,B][;personal=true][;whispers=true]'.
type Spec struct {
	Name string
	URL  string
	// Types, when not empty, are the only event types delivered.
	Types map[string]bool
	// Personal sends the customer's identifying fields; without it they
	// are removed from every event.
	Personal bool
	// Whispers sends staff-only messages; without it they are skipped.
	Whispers bool
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ParseSpec parses one webhook spec. A ';' inside the URL must be
// percent-encoded (%3B): a bare one starts an option.
func ParseSpec(s string) (Spec, error) {
	fail := func(format string, args ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("webhook %q: "+format+" (the form is NAME=URL[;types=A,B][;personal=true][;whispers=true])", append([]any{s}, args...)...)
	}
	name, rest, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		return fail("no '=' between the name and the URL")
	}
	if !namePattern.MatchString(name) {
		return fail("the name must be 1 to 64 letters, digits, '-' or '_', starting with a letter or digit")
	}
	parts := strings.Split(rest, ";")
	spec := Spec{Name: name, URL: parts[0]}
	if err := checkURL(spec.URL); err != nil {
		return fail("%v", err)
	}
	seen := map[string]bool{}
	for _, opt := range parts[1:] {
		key, value, ok := strings.Cut(opt, "=")
		if !ok || seen[key] {
			return fail("option %q is not key=value, or is given twice", opt)
		}
		seen[key] = true
		switch key {
		case "types":
			spec.Types = map[string]bool{}
			for _, t := range strings.Split(value, ",") {
				if t = strings.TrimSpace(t); t == "" {
					return fail("types holds an empty type")
				}
				spec.Types[t] = true
			}
		case "personal", "whispers":
			if value != "true" && value != "false" {
				return fail("%s must be true or false, not %q", key, value)
			}
			if key == "personal" {
				spec.Personal = value == "true"
			} else {
				spec.Whispers = value == "true"
			}
		default:
			return fail("unknown option %q", key)
		}
	}
	return spec, nil
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("the URL does not parse: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("the URL must be http or https, not %q", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("the URL has no host")
	}
	return nil
}

// ParseSpecs parses every spec and refuses two webhooks of one name.
func ParseSpecs(specs []string) ([]Spec, error) {
	var out []Spec
	var errs []error
	names := map[string]bool{}
	for _, s := range specs {
		spec, err := ParseSpec(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if names[spec.Name] {
			errs = append(errs, fmt.Errorf("webhook %q is configured twice", spec.Name))
		}
		names[spec.Name] = true
		out = append(out, spec)
	}
	return out, errors.Join(errs...)
}

// MinSecretBytes is the shortest webhook secret accepted: the HMAC key of
// every signature.
const MinSecretBytes = 32
