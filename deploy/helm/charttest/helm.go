package charttest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	// HelmVersion is the helm release the chart is tested with.
	HelmVersion = "v3.22.0"
	// HelmPackage is what `go run` builds and runs.
	HelmPackage = "helm.sh/helm/v3/cmd/helm@" + HelmVersion

	// ReleaseName is the release every render uses. The chart name is part
	// of it, so the full name (the StatefulSet name) is just "wsd".
	ReleaseName = "wsd"
	// Namespace is the namespace every render uses.
	Namespace = "wsd"
)

// ChartDir returns the absolute path of the chart, found next to this
// source file so that it works from any package and working directory.
func ChartDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("charttest: cannot locate its own source file")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "wsd")
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		t.Fatalf("charttest: chart not found: %v", err)
	}
	return dir
}

// PrepareHelm builds the pinned helm, or finds it in the Go build cache.
// Call it once from TestMain before tests run in parallel: the first build
// takes minutes, and parallel tests would otherwise each start one.
func PrepareHelm(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "go", "run", HelmPackage, "version", "--short")
	cmd.Dir = os.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building helm %s: %w\n%s", HelmVersion, err, out)
	}
	return nil
}

// Helm runs helm with args and returns its combined output. Helm's home
// directories point into a temporary directory, so nothing the user has
// configured (repositories, plugins) takes part.
func Helm(t testing.TB, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"run", HelmPackage}, args...)...)
	cmd.Dir = home
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), err
}

// ValuesFile writes values as a values file and returns its path; nil
// values give an empty file (the chart defaults).
func ValuesFile(t testing.TB, values map[string]any) string {
	t.Helper()
	if values == nil {
		values = map[string]any{}
	}
	b, err := yaml.Marshal(values)
	if err != nil {
		t.Fatalf("charttest: marshal values: %v", err)
	}
	p := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// LoadValues reads a values file into a map, e.g. from testdata.
func LoadValues(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("charttest: %s: %v", path, err)
	}
	return v
}

// Template runs `helm template` on the chart as release ReleaseName in
// Namespace with values, followed by extra helm arguments (e.g. "--set",
// "replicas=5"), and returns the rendered manifest text.
func Template(t testing.TB, values map[string]any, extra ...string) (string, error) {
	t.Helper()
	args := []string{"template", ReleaseName, ChartDir(t), "--namespace", Namespace, "-f", ValuesFile(t, values)}
	return Helm(t, append(args, extra...)...)
}

// Lint runs `helm lint --strict` on the chart with values and extra
// arguments, and returns helm's output.
func Lint(t testing.TB, values map[string]any, extra ...string) (string, error) {
	t.Helper()
	args := []string{"lint", "--strict", ChartDir(t), "--namespace", Namespace, "-f", ValuesFile(t, values)}
	return Helm(t, append(args, extra...)...)
}
