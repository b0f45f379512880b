package charttest

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestChart_Lint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values map[string]any
	}{
		{"defaults", nil},
		{"all options", LoadValues(t, filepath.Join("testdata", "all-options.yaml"))},
		{"single server", map[string]any{"replicas": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := Lint(t, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Errorf("helm lint output lacks %q:\n%s", "0 chart(s) failed", out)
			}
		})
	}
}

// The schema is what stops a typo or a wrong type at install time, so
// lint, which runs it, must refuse a bad value.
func TestChart_Lint_rejectsBadValue(t *testing.T) {
	t.Parallel()
	out, err := Lint(t, nil, "--set", "replicas=three")
	if err == nil {
		t.Fatalf("helm lint --set replicas=three passed; want a schema error:\n%s", out)
	}
	if !strings.Contains(out, "replicas") {
		t.Errorf("error does not name replicas:\n%s", out)
	}
}
