package test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/parley-chat/parley"

// goList returns the packages that pkg depends on (go list -deps).
func goList(t *testing.T, format, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", format, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

// The root package domain is the model (deciders, events, state, commands,
// errors, ports) and depends on the standard library only: data flows
// inward, no application package under domain/ (conversations, claims,
// transcriptmail, router, migration) can slip back into it, and the model
// never runs a process. Its JSON fast paths live in eventschemas/storedjson,
// which imports domain.
func TestDomainImportsOnlyStandardLibrary(t *testing.T) {
	for _, line := range goList(t, "{{if not .Standard}}{{.ImportPath}}{{end}}", module+"/domain") {
		if line != module+"/domain" {
			t.Errorf("domain depends on %s; it may import only the standard library", line)
		}
	}
}

// No adapter imports another, and nothing but cmd imports adapters.
func TestAdaptersStayApart(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		if strings.HasPrefix(pkg, module+"/cmd/") || strings.HasPrefix(pkg, module+"/test") {
			continue
		}
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module+"/adapters/") {
				continue
			}
			t.Errorf("%s imports %s: only cmd wires adapters together", pkg, imp)
		}
	}
}

// No package under domain/ depends on adapters/, projections/ or cmd/: the
// application packages there use the world only through the domain's ports.
func TestDomainPackagesUseNoAdapters(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", module+"/domain/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, dep := range fields[1:] {
			for _, outer := range []string{"/adapters", "/projections", "/cmd"} {
				if dep == module+outer || strings.HasPrefix(dep, module+outer+"/") {
					t.Errorf("%s depends on %s: packages under domain/ may not use %s", fields[0], dep, strings.TrimPrefix(outer, "/"))
				}
			}
		}
	}
}
