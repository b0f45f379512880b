package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/internal/testserver"
)

// chartPods is what deploy/helm/charttest's TestExportRenderedPods writes:
// each server as the kubelet would start it from the rendered chart.
type chartPods struct {
	Headless string `json:"headless"`
	Pods     []struct {
		Name string
		Host string
		Args []string
		Env  map[string]string
		// Files are mounted from the Secrets the chart generates (raft
		// TLS), by path in the container.
		Files map[string]string
	} `json:"pods"`
}

// renderChartPods renders the chart with its defaults through the chart
// test module (a separate module with the Kubernetes dependencies, which
// this one must not import) and returns its pods.
func renderChartPods(t *testing.T) chartPods {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go tool is needed to render the chart: %v", err)
	}
	out := filepath.Join(t.TempDir(), "pods.json")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-run", "^TestExportRenderedPods$", ".")
	cmd.Dir = filepath.Join("..", "..", "deploy", "helm", "charttest")
	cmd.Env = append(os.Environ(), "WSD_CHART_PODS_OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rendering the chart (go test in %s): %v\n%s", cmd.Dir, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the chart test module wrote no pods: %v", err)
	}
	var p chartPods
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("pods.json: %v", err)
	}
	if len(p.Pods) != 3 || p.Headless == "" {
		t.Fatalf("rendered %d pods (headless %q), want the default 3", len(p.Pods), p.Headless)
	}
	return p
}

// podArgs maps one rendered pod's args onto this machine, where pod i runs
// on its own loopback address ips[i] (Linux routes all of 127/8 to lo):
// pod DNS names become their address, the headless Service name in --join
// becomes every pod's address, --data-dir gets a temporary directory, and
// a listen address with no host (":8080", every interface of the pod) is
// bound to the pod's own address, since the three "pods" share one network
// stack. Ports and every other argument stay as rendered.
func podArgs(t *testing.T, p chartPods, i int, ips []string, dataDir string) []string {
	t.Helper()
	var out []string
	for _, a := range p.Pods[i].Args {
		name, val, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch name {
		case "data-dir":
			val = dataDir
		case "http-addr", "raft-addr", "gossip-addr":
			if strings.HasPrefix(val, ":") {
				val = ips[i] + val
			}
		case "join":
			var hosts []string
			for _, h := range strings.Split(val, ",") {
				host, port, err := net.SplitHostPort(h)
				if err != nil {
					t.Fatalf("--join entry %q: %v", h, err)
				}
				if host == p.Headless {
					for _, ip := range ips {
						hosts = append(hosts, net.JoinHostPort(ip, port))
					}
					continue
				}
				hosts = append(hosts, net.JoinHostPort(podIP(p, ips, host), port))
			}
			val = strings.Join(hosts, ",")
		default:
			for j, pod := range p.Pods {
				val = strings.ReplaceAll(val, pod.Host, ips[j])
			}
		}
		a = "--" + name + "=" + val
		if strings.Contains(a, ".svc.") {
			t.Fatalf("argument %q still names a cluster DNS name", a)
		}
		out = append(out, a)
	}
	return out
}

func podIP(p chartPods, ips []string, host string) string {
	for j, pod := range p.Pods {
		if pod.Host == host {
			return ips[j]
		}
	}
	return host
}

// flagValue returns the value of --name in args.
func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// requireFree fails the test when addr (host:port) cannot be bound on this
// machine, TCP and, for gossip, UDP.
func requireFree(t *testing.T, addr string, udp bool) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port busy: the chart test runs each pod on its rendered ports, and %s (TCP) cannot be bound here: %v", addr, err)
	}
	l.Close()
	if udp {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			t.Fatalf("port busy: the chart test runs each pod on its rendered ports, and %s (UDP) cannot be bound here: %v", addr, err)
		}
		pc.Close()
	}
}

// TestChart_podsFormACluster starts three wsd processes with exactly the
// container args and environment the Helm chart renders (pod DNS names
// mapped to loopback addresses), with the raft certificates and gossip key
// the chart generates, and checks that they form one cluster:
// one leader, three voters, and a write through one pod is read on another.
func TestChart_podsFormACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the chart with helm; skipped with -short")
	}
	p := renderChartPods(t)
	wsd, _ := testserver.Build(t)
	ips := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	c := &testCluster{t: t, wsd: wsd, http: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(c.stopAll)
	dir := t.TempDir()
	type started struct {
		n    *node
		args []string
		env  []string
	}
	var pods []started
	for i, pod := range p.Pods {
		n := &node{id: pod.Name, host: ips[i], dataDir: filepath.Join(dir, pod.Name)}
		args := podArgs(t, p, i, ips, n.dataDir)
		// Secret files go to a directory of the pod's; their paths in the
		// args follow.
		for path, content := range pod.Files {
			local := filepath.Join(dir, pod.Name+"-secrets", filepath.FromSlash(path))
			if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(local, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			for j, a := range args {
				args[j] = strings.ReplaceAll(a, "="+path, "="+local)
			}
		}
		if got := flagValue(args, "node-id"); got != pod.Name {
			t.Fatalf("%s: --node-id=%q, want the pod name", pod.Name, got)
		}
		for _, f := range []string{"http-addr", "raft-addr", "gossip-addr"} {
			requireFree(t, flagValue(args, f), f == "gossip-addr")
		}
		_, port, err := net.SplitHostPort(flagValue(args, "http-addr"))
		if err != nil {
			t.Fatal(err)
		}
		if n.httpPort, err = strconv.Atoi(port); err != nil {
			t.Fatal(err)
		}
		// The container's environment is what the chart sets, and nothing
		// from this process (no stray WSD_* variable) but PATH.
		env := []string{"PATH=" + os.Getenv("PATH")}
		for k, v := range pod.Env {
			env = append(env, k+"="+v)
		}
		sort.Strings(env)
		pods = append(pods, started{n, args, env})
		c.nodes = append(c.nodes, n)
	}
	for _, s := range pods {
		t.Logf("%s: wsd %s (env %v and PATH)", s.n.id, strings.Join(s.args, " "), slices.Sorted(maps.Keys(p.Pods[0].Env)))
		startProcess(t, c, s.n, s.args, s.env)
	}

	// Gossip runs with the LAN timings the chart leaves in place.
	for _, n := range c.nodes {
		eventually(t, 90*time.Second, n.id+" ready", func() error {
			resp, err := c.http.Get(n.url() + "/readyz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("readyz %d", resp.StatusCode)
			}
			return nil
		})
	}
	leader := c.leader()
	eventually(t, 30*time.Second, "three voters", func() error {
		ms, err := c.members(leader)
		if err != nil {
			return err
		}
		voters := 0
		for _, m := range ms {
			if m.Suffrage == "voter" {
				voters++
			}
			if !strings.HasPrefix(m.HTTPAddr, "http://127.0.0.") {
				return fmt.Errorf("member %s advertises %q, want its pod address", m.ID, m.HTTPAddr)
			}
		}
		if voters != 3 {
			return fmt.Errorf("%d voters: %+v", voters, ms)
		}
		return nil
	})
	var writer *node
	for _, n := range c.nodes {
		if n != leader {
			writer = n
		}
	}
	mustCreate(t, c, writer, "from-the-chart")
	for _, n := range c.nodes {
		var w wsBody
		if err := c.getJSON(n.url()+base+"/workspaces/from-the-chart?consistency=linearizable", &w); err != nil {
			t.Fatalf("read on %s: %v", n.id, err)
		}
	}
	t.Logf("chart pods formed a cluster: leader %s, 3 voters on %v", leader.id, ips)
}

// startProcess runs wsd with exactly args and env as node n of c, logging
// to the file the harness shows on failure.
func startProcess(t *testing.T, c *testCluster, n *node, args, env []string) {
	t.Helper()
	if err := os.MkdirAll(n.dataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(filepath.Join(n.dataDir, "..", n.id+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(c.wsd, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", n.id, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done, n.logf = cmd, done, logf
	n.mu.Unlock()
}
