// Package clientmodule_test makes `go test ./...` from the root module run
// the tests of the client module too: the client is its own module
// (client/go.mod, standard library only), which the root's ./... pattern
// does not reach. `make unit` runs the client module itself, with -race,
// and sets WSD_CLIENT_MODULE_TESTED so that they do not run twice.
package clientmodule_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestClientModule(t *testing.T) {
	if os.Getenv("WSD_CLIENT_MODULE_TESTED") != "" {
		t.Skip("the client module's tests run on their own (WSD_CLIENT_MODULE_TESTED is set)")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "client"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"test", "-count=1"}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./...")...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %v in %s: %v\n%s", args, dir, err, out)
	}
	t.Logf("%s", out)
}
