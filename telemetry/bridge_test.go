package telemetry

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	gometrics "github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

func TestMetricName(t *testing.T) {
	tests := []struct {
		key    []string
		suffix string
		want   string
	}{
		{[]string{"raft", "replication", "appendEntries", "rpc"}, "_seconds", "wsd_raft_replication_append_entries_rpc_seconds"},
		{[]string{"raft", "apply"}, "_total", "wsd_raft_apply_total"},
		{[]string{"raft", "boltdb", "numFreePages"}, "", "wsd_raft_boltdb_num_free_pages"},
		{[]string{"raft", "replication", "appendEntries", "logs", "10.0.0.1:8300"}, "_total", "wsd_raft_replication_append_entries_logs_10_0_0_1_8300_total"},
		{[]string{"raft", "state", "follower"}, "_total", "wsd_raft_state_follower_total"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := metricName(tt.key, tt.suffix); got != tt.want {
				t.Fatalf("metricName(%v, %q) = %q, want %q", tt.key, tt.suffix, got, tt.want)
			}
		})
	}
}

func TestUnitless(t *testing.T) {
	tests := []struct {
		key  []string
		want bool
	}{
		{[]string{"raft", "commitTime"}, false},
		{[]string{"raft", "boltdb", "storeLogs"}, false},
		{[]string{"raft", "fsm", "applyBatchNum"}, true},
		{[]string{"raft", "thread", "main", "saturation"}, true},
		{[]string{"raft", "boltdb", "logBatchSize"}, true},
		{[]string{"raft", "boltdb", "logsPerBatch"}, true},
		{[]string{"raft", "boltdb", "writeCapacity"}, true},
	}
	for _, tt := range tests {
		if got := unitless(tt.key); got != tt.want {
			t.Errorf("unitless(%v) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func TestBridge_exposesRaftMetricsInPrometheusConventions(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := NewBridge()
	reg.MustRegister(b)
	m, err := NewFSMMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.ObserveApply(3, 2*time.Millisecond)
	m.ObserveSnapshot(1024, time.Second)
	b.IncrCounter([]string{"raft", "apply"}, 1)
	b.IncrCounter([]string{"raft", "apply"}, 2)
	b.SetGauge([]string{"raft", "peers"}, 3)
	b.AddSample([]string{"raft", "commitTime"}, 250) // ms
	b.AddSample([]string{"raft", "fsm", "applyBatchNum"}, 7)
	b.IncrCounterWithLabels([]string{"raft", "replication", "appendEntries", "logs"}, 4, []gometrics.Label{{Name: "peer_id", Value: "n2"}})
	// A second label set for the same name is dropped, not a broken family.
	b.IncrCounterWithLabels([]string{"raft", "replication", "appendEntries", "logs"}, 4, []gometrics.Label{{Name: "other", Value: "x"}})
	armonSink{b}.SetGauge([]string{"raft", "boltdb", "numFreePages"}, 9)

	text := gather(t, reg)
	for _, want := range []string{
		"wsd_raft_apply_total 3",
		"wsd_raft_peers 3",
		`wsd_raft_commit_time_seconds_sum 0.25`,
		"wsd_raft_fsm_apply_batch_num_sum 7",
		`wsd_raft_replication_append_entries_logs_total{peer_id="n2"} 4`,
		"wsd_raft_boltdb_num_free_pages 9",
		"wsd_fsm_apply_batch_entries_sum 3",
		"wsd_fsm_snapshot_size_bytes 1024",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", text)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not installed; .ci/run installs the prometheus package")
		}
		t.Skip("promtool not installed (CI installs it)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
