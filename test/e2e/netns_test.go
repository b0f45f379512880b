package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Network namespaces for partition tests. Each cluster gets a bridge
// wsdbr<N> in the root namespace with 10.77.N.1/24, and each node a
// namespace joined to the bridge by a veth pair, with 10.77.N.<10+i>. The
// test process stays in the root namespace and reaches every node through
// the bridge, so a node cut off from its peers (a blackhole route to each
// peer, on both sides) still answers the test's requests.
//
// Every name carries the test process's pid (the bridge in its alias), so
// that a later run can remove what a killed run left behind.

const netnsPrefix = "wsde2e-"

// netnsNet is one cluster's network.
type netnsNet struct {
	t      *testing.T
	idx    int // the cluster's subnet is 10.77.idx.0/24
	bridge string

	mu    sync.Mutex
	hosts []nsHost
	// routes are the blackhole routes in place: namespace → peer ip.
	routes [][2]string
}

// nsHost is one node's namespace.
type nsHost struct {
	id, ns, ip string
}

// ipCmd runs ip with args and returns its combined output as the error.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// netnsUnavailable fails the test in CI and skips it elsewhere.
func netnsUnavailable(t *testing.T, err error) {
	t.Helper()
	msg := fmt.Sprintf("network namespaces are not available (this test needs root and iproute2 to partition nodes): %v", err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// newNetnsNet creates a bridge for a cluster, after removing what killed
// runs left behind, and removes everything in t.Cleanup.
func newNetnsNet(t *testing.T) *netnsNet {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		netnsUnavailable(t, err)
	}
	cleanupStaleNetns(t)
	probe := fmt.Sprintf("%s%d-probe", netnsPrefix, os.Getpid())
	if err := ipCmd("netns", "add", probe); err != nil {
		netnsUnavailable(t, err)
	}
	if err := ipCmd("netns", "del", probe); err != nil {
		t.Fatal(err)
	}
	nw := &netnsNet{t: t}
	var err error
	for idx := 1; idx < 255; idx++ {
		br := "wsdbr" + strconv.Itoa(idx)
		if _, serr := os.Stat("/sys/class/net/" + br); serr == nil {
			continue
		}
		// Creating the bridge claims the subnet; another process may win.
		if err = ipCmd("link", "add", "name", br, "type", "bridge"); err != nil {
			continue
		}
		nw.idx, nw.bridge = idx, br
		break
	}
	if nw.bridge == "" {
		t.Fatalf("no free bridge name for a test network: %v", err)
	}
	t.Cleanup(nw.teardown)
	for _, args := range [][]string{
		{"link", "set", "dev", nw.bridge, "alias", netnsPrefix + strconv.Itoa(os.Getpid())},
		{"addr", "add", nw.subnet(1) + "/24", "dev", nw.bridge},
		{"link", "set", "dev", nw.bridge, "up"},
	} {
		if err := ipCmd(args...); err != nil {
			t.Fatal(err)
		}
	}
	return nw
}

func (nw *netnsNet) subnet(host int) string { return fmt.Sprintf("10.77.%d.%d", nw.idx, host) }

// addHost creates the namespace of node id and returns its name and ip.
func (nw *netnsNet) addHost(id string) (ns, ip string) {
	nw.t.Helper()
	nw.mu.Lock()
	i := len(nw.hosts)
	nw.mu.Unlock()
	ns = fmt.Sprintf("%s%d-%d-%s", netnsPrefix, os.Getpid(), nw.idx, id)
	ip = nw.subnet(10 + i)
	veth := fmt.Sprintf("wsd%dv%d", nw.idx, i)
	if err := ipCmd("netns", "add", ns); err != nil {
		nw.t.Fatal(err)
	}
	// This cluster owns idx (it created the bridge), so a link of that
	// name is a leftover of an earlier run that died before its teardown.
	_ = ipCmd("link", "del", veth)
	nw.mu.Lock()
	nw.hosts = append(nw.hosts, nsHost{id: id, ns: ns, ip: ip})
	nw.mu.Unlock()
	for _, args := range [][]string{
		{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
		{"link", "set", veth, "master", nw.bridge, "up"},
		{"-n", ns, "addr", "add", ip + "/24", "dev", "eth0"},
		{"-n", ns, "link", "set", "eth0", "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	} {
		if err := ipCmd(args...); err != nil {
			nw.t.Fatal(err)
		}
	}
	return ns, ip
}

// cut blackholes the traffic between a and b, both ways.
func (nw *netnsNet) cut(a, b *node) error {
	for _, p := range [][2]*node{{a, b}, {b, a}} {
		if err := ipCmd("-n", p[0].netns, "route", "add", "blackhole", p[1].host+"/32"); err != nil {
			return err
		}
		nw.mu.Lock()
		nw.routes = append(nw.routes, [2]string{p[0].netns, p[1].host})
		nw.mu.Unlock()
	}
	return nil
}

// isolate cuts n off from every other node of c.
func (nw *netnsNet) isolate(c *testCluster, n *node) error {
	for _, o := range c.nodes {
		if o != n {
			if err := nw.cut(n, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// heal removes every blackhole route.
func (nw *netnsNet) heal() error {
	nw.mu.Lock()
	routes := nw.routes
	nw.routes = nil
	nw.mu.Unlock()
	var errs []string
	for _, r := range routes {
		if err := ipCmd("-n", r[0], "route", "del", "blackhole", r[1]+"/32"); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("healing: %s", strings.Join(errs, "; "))
	}
	return nil
}

// teardown removes the namespaces and the bridge. The cluster's processes
// are gone by now: their cleanup was registered later and runs first.
func (nw *netnsNet) teardown() {
	nw.mu.Lock()
	hosts := nw.hosts
	nw.mu.Unlock()
	for _, h := range hosts {
		killNetnsProcesses(h.ns)
		if err := ipCmd("netns", "del", h.ns); err != nil {
			nw.t.Errorf("teardown: %v", err)
		}
	}
	if err := ipCmd("link", "del", nw.bridge); err != nil {
		nw.t.Errorf("teardown: %v", err)
	}
}

// newNetnsNode is newNode for a cluster in namespaces: a node has its own
// address, so the ports are the defaults.
func (c *testCluster) newNetnsNode(id string, opts clusterOpts) *node {
	ns, ip := c.net.addHost(id)
	return &node{
		id: id, host: ip, netns: ns,
		httpPort: 8080, raftPort: 8300, gossPort: 8301,
		dataDir: filepath.Join(c.t.TempDir(), id),
		expect:  opts.bootstrapExpect,
		extraArgs: append([]string{
			"--dead-server-timeout=" + opts.deadServerTimeout.String(),
		}, opts.extraArgs...),
	}
}

// killNetnsProcesses kills, by pid, what still runs in one of our
// namespaces (wsd processes of a killed test run).
func killNetnsProcesses(ns string) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	time.Sleep(50 * time.Millisecond)
}

// processAlive reports whether pid is a running process.
func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// cleanupStaleNetns removes namespaces and bridges whose test process is
// gone.
func cleanupStaleNetns(t *testing.T) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || !strings.HasPrefix(f[0], netnsPrefix) {
				continue
			}
			name := f[0]
			pidStr, _, _ := strings.Cut(strings.TrimPrefix(name, netnsPrefix), "-")
			pid, err := strconv.Atoi(pidStr)
			if err != nil || processAlive(pid) {
				continue
			}
			killNetnsProcesses(name)
			if err := ipCmd("netns", "del", name); err != nil {
				t.Logf("removing stale namespace: %v", err)
			} else {
				t.Logf("removed stale namespace %s", name)
			}
		}
	}
	links, _ := filepath.Glob("/sys/class/net/wsdbr*")
	for _, l := range links {
		alias, err := os.ReadFile(filepath.Join(l, "ifalias"))
		if err != nil {
			continue
		}
		a := strings.TrimSpace(string(alias))
		if !strings.HasPrefix(a, netnsPrefix) {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(a, netnsPrefix))
		if err != nil || processAlive(pid) {
			continue
		}
		if err := ipCmd("link", "del", filepath.Base(l)); err != nil {
			t.Logf("removing stale bridge: %v", err)
		} else {
			t.Logf("removed stale bridge %s", filepath.Base(l))
		}
	}
}
