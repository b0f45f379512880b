package charttest

import (
	"encoding/json"
	"os"
	"testing"
)

// ExportedPods is what TestExportRenderedPods writes: the chart's servers
// as RenderedPods returns them.
type ExportedPods struct {
	// Headless is the headless Service's DNS name (what --join names).
	Headless string `json:"headless"`
	Pods     []Pod  `json:"pods"`
}

// TestExportRenderedPods writes the pods the chart renders with its default
// values, as JSON, to the file named by WSD_CHART_PODS_OUT. The root
// module's end-to-end test (test/e2e/chart_test.go) runs it to start wsd
// processes exactly as the chart would: it cannot import this module,
// which depends on Kubernetes packages. Skipped when the variable is unset.
func TestExportRenderedPods(t *testing.T) {
	out := os.Getenv("WSD_CHART_PODS_OUT")
	if out == "" {
		t.Skip("WSD_CHART_PODS_OUT is not set; test/e2e/chart_test.go sets it")
	}
	pods, headless := RenderedPods(t, nil)
	b, err := json.MarshalIndent(ExportedPods{Headless: headless, Pods: pods}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
