package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps_standardLibraryOnly guards the package's promise: importing it
// pulls in nothing but the standard library (no server code, no raft, no
// storage engine).
func TestDeps_standardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/wsd-dev/wsd/client").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var bad []string
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/wsd-dev/wsd/client" {
			continue
		}
		first, _, _ := strings.Cut(pkg, "/")
		if strings.Contains(first, ".") {
			bad = append(bad, pkg)
		}
	}
	if len(bad) > 0 {
		t.Errorf("client depends on non-standard packages %v; want the standard library only", bad)
	}
}
