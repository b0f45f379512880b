package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireTool returns the path of a Debian prometheus package binary,
// skipping the test where it is missing, except in CI (.ci/run installs it).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed; .ci/run installs the prometheus package", name)
		}
		t.Skipf("%s not installed (CI installs the prometheus package)", name)
	}
	return p
}

// metricFamilies are the families every wsd node exports, by kind. The
// bridged raft families appear once raft reports them; the test makes
// enough traffic for these.
var metricFamilies = []struct{ name, typ string }{
	// HTTP requests by route template, method and code; forwarding.
	{"wsd_http_requests_total", "counter"},
	{"wsd_http_request_duration_seconds", "histogram"},
	{"wsd_http_forwarded_requests_total", "counter"},
	{"wsd_http_forward_duration_seconds", "histogram"},
	// Writes sent to the leader over the peer service; refused peer calls.
	{"wsd_peer_forwarded_writes_total", "counter"},
	{"wsd_peer_calls_refused_total", "counter"},
	// Raft state read on each scrape.
	{"wsd_raft_state", "gauge"},
	{"wsd_raft_leader", "gauge"},
	{"wsd_raft_term", "gauge"},
	{"wsd_raft_leader_changes_total", "counter"},
	{"wsd_raft_commit_index", "gauge"},
	{"wsd_raft_applied_index", "gauge"},
	{"wsd_raft_last_index", "gauge"},
	{"wsd_raft_last_contact_seconds", "gauge"},
	{"wsd_raft_voters", "gauge"},
	// State machine.
	{"wsd_fsm_apply_duration_seconds", "histogram"},
	{"wsd_fsm_apply_batch_entries", "histogram"},
	{"wsd_fsm_snapshot_duration_seconds", "histogram"},
	{"wsd_fsm_snapshot_size_bytes", "gauge"},
	{"wsd_fsm_index", "gauge"},
	{"wsd_workspaces", "gauge"},
	{"wsd_entity_refs", "gauge"},
	// Go and process collectors.
	{"go_goroutines", "gauge"},
	{"go_memstats_heap_alloc_bytes", "gauge"},
	{"process_cpu_seconds_total", "counter"},
	{"process_resident_memory_bytes", "gauge"},
	// raft's and raft-boltdb's go-metrics, bridged.
	{"wsd_raft_fsm_apply_batch_seconds", "summary"},
	{"wsd_raft_boltdb_store_logs_seconds", "summary"},
	{"wsd_raft_boltdb_logs_per_batch", "summary"},
}

// leaderOnlyFamilies are bridged families only a leader reports.
var leaderOnlyFamilies = []struct{ name, typ string }{
	{"wsd_raft_commit_time_seconds", "summary"},
	{"wsd_raft_apply_total", "counter"},
	{"wsd_raft_replication_append_entries_rpc_seconds", "summary"},
}

// followerOnlyFamilies are bridged families only a follower reports.
var followerOnlyFamilies = []struct{ name, typ string }{
	{"wsd_raft_rpc_append_entries_seconds", "summary"},
}

// scrape returns a node's /metrics text.
func (c *testCluster) scrape(n *node) string {
	c.t.Helper()
	resp, err := c.http.Get(n.url() + "/metrics")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s/metrics: %d %v", n.url(), resp.StatusCode, err)
	}
	return string(b)
}

// families returns the "# TYPE" lines of an exposition as name → type.
func families(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

// makeTraffic creates workspaces and references through every node (so
// followers forward), reads with every consistency, and provokes a 404 and
// a 422.
func makeTraffic(t *testing.T, c *testCluster, workspaces int) {
	t.Helper()
	for i := range workspaces {
		n := c.nodes[i%len(c.nodes)]
		mustCreate(t, c, n, fmt.Sprintf("prom-%d", i))
		mustDo(t, c, http.MethodPut, fmt.Sprintf("%s%s/workspaces/prom-%d/entity-refs/models/m", n.url(), base, i), nil, http.StatusCreated)
	}
	for _, n := range c.nodes {
		for _, cons := range []string{"default", "stale", "linearizable"} {
			mustDo(t, c, http.MethodGet, n.url()+base+"/workspaces/prom-0?consistency="+cons, nil, http.StatusOK)
			mustDo(t, c, http.MethodGet, n.url()+base+"/workspaces?consistency="+cons, nil, http.StatusOK)
		}
		mustDo(t, c, http.MethodGet, n.url()+base+"/workspaces/nope", nil, http.StatusNotFound)
		mustDo(t, c, http.MethodGet, n.url()+base+"/workspaces?page=0", nil, http.StatusUnprocessableEntity)
	}
}

// promtool check metrics is clean on every node of a cluster that served
// traffic, and every metric family wsd promises is there.
func TestPrometheus_metricsLint(t *testing.T) {
	promtool := requireTool(t, "promtool")
	c := newCluster(t, clusterOpts{size: 3})
	leader := c.leader()
	makeTraffic(t, c, 5)
	union := map[string]string{}
	for _, n := range c.nodes {
		text := c.scrape(n)
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("%s: promtool check metrics: %v\n%s", n.id, err, out)
		}
		fams := families(text)
		for _, f := range metricFamilies {
			if fams[f.name] != f.typ {
				t.Errorf("%s: family %s is %q, want a %s", n.id, f.name, fams[f.name], f.typ)
			}
		}
		only := followerOnlyFamilies
		if n == leader {
			only = leaderOnlyFamilies
		}
		for _, f := range only {
			if fams[f.name] != f.typ {
				t.Errorf("%s (leader %s): family %s is %q, want a %s", n.id, leader.id, f.name, fams[f.name], f.typ)
			}
		}
		for k, v := range fams {
			union[k] = v
		}
		// Requests are labelled by route template, never by raw path.
		want := `wsd_http_requests_total{code="200",method="GET",route="` + base + `/workspaces/{name}"}`
		if !strings.Contains(text, want) {
			t.Errorf("%s: no series %s", n.id, want)
		}
		if strings.Contains(text, `route="`+base+`/workspaces/prom-0"`) {
			t.Errorf("%s: a raw path is used as a route label", n.id)
		}
	}
	var names []string
	for k := range union {
		if strings.HasPrefix(k, "wsd_") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	t.Logf("%d wsd_ families across the cluster: %s", len(names), strings.Join(names, " "))
}

// A real Prometheus scrapes the cluster every second; PromQL over its
// HTTP API sees one leader and the workspaces the test created.
func TestPrometheus_scrapesCluster(t *testing.T) {
	promBin := requireTool(t, "prometheus")
	c := newCluster(t, clusterOpts{size: 3})
	const created = 7
	makeTraffic(t, c, created)

	dir := t.TempDir()
	var targets []string
	for _, n := range c.nodes {
		targets = append(targets, strconv.Quote(strings.TrimPrefix(n.url(), "http://")))
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: wsd
    static_configs:
      - targets: [%s]
`, strings.Join(targets, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	promAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promBin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})

	query := func(q string) ([]float64, error) {
		resp, err := c.http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var r struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct {
				ResultType string `json:"resultType"`
				Result     []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return nil, err
		}
		if r.Status != "success" || r.Data.ResultType != "vector" {
			return nil, fmt.Errorf("query %s: %s %s (%s)", q, r.Status, r.Error, r.Data.ResultType)
		}
		var out []float64
		for _, s := range r.Data.Result {
			v, _ := s.Value[1].(string)
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("query %s: value %v", q, s.Value)
			}
			out = append(out, f)
		}
		return out, nil
	}
	expect := func(q string, want float64) {
		t.Helper()
		eventually(t, 60*time.Second, q+" == "+strconv.FormatFloat(want, 'g', -1, 64), func() error {
			got, err := query(q)
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0] != want {
				return fmt.Errorf("got %v", got)
			}
			return nil
		})
	}
	expect(`count(up{job="wsd"} == 1)`, 3)
	expect(`sum(wsd_raft_leader) == 1`, 1)
	expect(`max(wsd_workspaces)`, created+2) // plus default and system
	expect(`min(wsd_workspaces)`, created+2) // every node applied them
	expect(`max(wsd_entity_refs)`, created)
	expect(`count(count by (instance) (wsd_http_requests_total{route="`+base+`/workspaces"}))`, 3)
	expect(`count(sum(wsd_peer_forwarded_writes_total{outcome="ok"}) > 0)`, 1)
}
