package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// builds holds the binaries of this test process. It is built at most
// once: every test of the process shares the same binaries.
var builds struct {
	once     sync.Once
	dir      string
	wsd, nmp string
	err      error
}

// Build compiles ./cmd/wsd and ./cmd/nmp of this module (without -race)
// once per test process and returns the paths of the binaries. It fails
// the test when they do not build.
func Build(t testing.TB) (wsdPath, nmpPath string) {
	t.Helper()
	builds.once.Do(func() {
		builds.dir, builds.wsd, builds.nmp, builds.err = build()
	})
	if builds.err != nil {
		t.Fatalf("testserver: %v", builds.err)
	}
	return builds.wsd, builds.nmp
}

// RemoveBinaries deletes the binaries built by Build. Call it once no test
// of the process needs them any more.
func RemoveBinaries() {
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
	}
}

func build() (dir, wsd, nmp string, err error) {
	root, err := moduleRoot()
	if err != nil {
		return "", "", "", err
	}
	dir, err = os.MkdirTemp("", "wsd-testserver-")
	if err != nil {
		return "", "", "", err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/wsd", "./cmd/nmp")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", "", fmt.Errorf("go build ./cmd/wsd ./cmd/nmp: %v\n%s", err, out)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	return dir, filepath.Join(dir, "wsd"+exe), filepath.Join(dir, "nmp"+exe), nil
}

// moduleRoot walks up from the working directory (a test runs in its
// package directory) to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
