package test

import (
	"strings"
	"testing"
)

// The server binary does not carry the load generator or its histogram
// library: the generator is its own program, parley-bench (ADR 35).
func TestServerDoesNotCarryTheLoadGenerator(t *testing.T) {
	for _, dep := range goList(t, "{{.ImportPath}}", module+"/cmd/parley") {
		if dep == module+"/adapters/loadgen" || strings.Contains(dep, "hdrhistogram") {
			t.Errorf("cmd/parley depends on %s; the load generator belongs to cmd/parley-bench", dep)
		}
	}
}
