package client_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDeps_standardLibraryOnly guards the module's promise: importing it,
// or building its tests, pulls in nothing but the standard library (no
// server code, no raft, no storage engine, no test helpers), and its
// go.mod requires no other module.
func TestDeps_standardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var bad []string
	for _, pkg := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, _, _ = strings.Cut(pkg, " [") // test variants: "p [p.test]"
		if pkg == "" {
			continue
		}
		if pkg == "github.com/wsd-dev/wsd/client" || strings.HasPrefix(pkg, "github.com/wsd-dev/wsd/client/") ||
			pkg == "github.com/wsd-dev/wsd/client_test" || strings.HasSuffix(pkg, ".test") {
			continue
		}
		bad = append(bad, pkg)
	}
	if len(bad) > 0 {
		t.Errorf("the client module depends on non-standard packages %v; want the standard library only", bad)
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(l); len(f) > 0 && (f[0] == "require" || f[0] == "replace") {
			t.Errorf("client/go.mod has %q: the module must require nothing", l)
		}
	}
	if out, err := exec.Command("go", "list", "-m").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "github.com/wsd-dev/wsd/client" {
		t.Errorf("go list -m = %q, %v; want the client to be its own module github.com/wsd-dev/wsd/client", out, err)
	}
}
