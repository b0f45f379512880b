package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// node is one wsd process of a test cluster. Its ports and data dir stay
// fixed across restarts, like a StatefulSet pod.
type node struct {
	id string
	// host is the address the node listens on and is reached at; empty
	// means 127.0.0.1. netns, when set, is the network namespace the node
	// runs in (see netns_test.go).
	host, netns                  string
	httpPort, raftPort, gossPort int
	dataDir                      string
	expect                       int
	extraArgs                    []string
	// https: the node serves its API over TLS (clusterOpts.tls).
	https bool

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logf *os.File
}

func (n *node) addr() string {
	if n.host != "" {
		return n.host
	}
	return "127.0.0.1"
}

func (n *node) url() string {
	scheme := "http://"
	if n.https {
		scheme = "https://"
	}
	return scheme + n.addr() + ":" + strconv.Itoa(n.httpPort)
}

func (n *node) gossipAddr() string { return n.addr() + ":" + strconv.Itoa(n.gossPort) }

// testCluster is a set of wsd processes that join each other by gossip.
type testCluster struct {
	t     *testing.T
	wsd   string
	nodes []*node
	http  *http.Client
	// net is the network of a cluster whose nodes run in network
	// namespaces (clusterOpts.netns); nil on loopback.
	net *netnsNet
	// tls is the client TLS config of a cluster that serves HTTPS
	// (clusterOpts.tls); c.http uses it.
	tls *tls.Config
	// token, when set, is the bearer token the harness's own calls
	// (status, members) send: the cluster API needs credentials when
	// authentication is on (clusterOpts.adminToken).
	token string
}

type clusterOpts struct {
	size              int
	bootstrapExpect   int
	deadServerTimeout time.Duration
	extraArgs         []string
	// netns runs every node in its own network namespace, on a bridge, so
	// that tests can partition them (see netns_test.go). The test is
	// skipped where namespaces cannot be created, except in CI.
	netns bool
	// tls, when set, means the nodes serve their API over TLS (their
	// extraArgs carry --tls-cert and friends): node URLs are https and
	// the harness's HTTP client uses this config (see tls_test.go).
	tls *tls.Config
	// adminToken is the bearer token of the harness's own calls to a
	// cluster with authentication on (a PlatformAdmin's).
	adminToken string
}

func freePort(t *testing.T) int {
	t.Helper()
	return testserver.FreePort(t)
}

// newCluster starts opts.size nodes with --bootstrap-expect and waits until
// they have one leader and every node is ready.
func newCluster(t *testing.T, opts clusterOpts) *testCluster {
	t.Helper()
	if opts.bootstrapExpect == 0 {
		opts.bootstrapExpect = opts.size
	}
	if opts.deadServerTimeout == 0 {
		opts.deadServerTimeout = time.Minute
	}
	wsd, _ := testserver.Build(t)
	c := &testCluster{t: t, wsd: wsd, http: &http.Client{Timeout: 10 * time.Second}, token: opts.adminToken}
	if opts.tls != nil {
		tr := &http.Transport{TLSClientConfig: opts.tls}
		c.tls, c.http.Transport = opts.tls, tr
		t.Cleanup(tr.CloseIdleConnections)
	}
	if opts.netns {
		c.net = newNetnsNet(t)
	}
	for i := 0; i < opts.size; i++ {
		n := c.newNode(fmt.Sprintf("n%d", i+1), opts)
		n.https = opts.tls != nil
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(c.stopAll)
	for _, n := range c.nodes {
		c.start(n)
	}
	c.waitReady(c.nodes...)
	return c
}

func (c *testCluster) newNode(id string, opts clusterOpts) *node {
	if c.net != nil {
		return c.newNetnsNode(id, opts)
	}
	return &node{
		id: id, httpPort: freePort(c.t), raftPort: freePort(c.t), gossPort: freePort(c.t),
		dataDir: filepath.Join(c.t.TempDir(), id),
		expect:  opts.bootstrapExpect,
		extraArgs: append([]string{
			"--dead-server-timeout=" + opts.deadServerTimeout.String(),
		}, opts.extraArgs...),
	}
}

// joinAddrs lists every other node's gossip address.
func (c *testCluster) joinAddrs(self *node) string {
	var addrs []string
	for _, n := range c.nodes {
		if n != self {
			addrs = append(addrs, n.gossipAddr())
		}
	}
	return strings.Join(addrs, ",")
}

func (c *testCluster) start(n *node) {
	c.t.Helper()
	if err := os.MkdirAll(n.dataDir, 0o750); err != nil {
		c.t.Fatal(err)
	}
	logf, err := os.OpenFile(filepath.Join(n.dataDir, "..", n.id+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		c.t.Fatal(err)
	}
	args := []string{
		"--node-id=" + n.id,
		"--data-dir=" + n.dataDir,
		"--http-addr=" + n.addr() + ":" + strconv.Itoa(n.httpPort),
		"--raft-addr=" + n.addr() + ":" + strconv.Itoa(n.raftPort),
		"--gossip-addr=" + n.addr() + ":" + strconv.Itoa(n.gossPort),
		"--gossip-local",
		"--join=" + c.joinAddrs(n),
		"--leader-wait=3s",
		"--log-level=info",
	}
	if n.expect > 0 { // 0: leave --bootstrap-expect unset
		args = append(args, "--bootstrap-expect="+strconv.Itoa(n.expect))
	}
	if n.netns != "" {
		args = append(args, "--advertise="+n.addr())
	}
	args = append(args, n.extraArgs...)
	cmd := exec.Command(c.wsd, args...)
	if n.netns != "" {
		// ip netns exec execs wsd in place: the process is wsd itself.
		cmd = exec.Command("ip", append([]string{"netns", "exec", n.netns, c.wsd}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.id, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done, n.logf = cmd, done, logf
	n.mu.Unlock()
}

func (n *node) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

func (n *node) signal(sig syscall.Signal) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(sig)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *testCluster) kill(n *node) {
	n.signal(syscall.SIGCONT)
	n.signal(syscall.SIGKILL)
	c.wait(n)
}

// stop sends SIGTERM (graceful) and waits.
func (c *testCluster) stop(n *node) {
	n.signal(syscall.SIGCONT)
	n.signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		c.t.Errorf("%s did not stop within 20s of SIGTERM", n.id)
		c.kill(n)
	}
	c.wait(n)
}

func (c *testCluster) wait(n *node) {
	n.mu.Lock()
	done, logf := n.done, n.logf
	n.mu.Unlock()
	if done != nil {
		<-done
	}
	if logf != nil {
		logf.Close()
	}
}

func (c *testCluster) pause(n *node)  { n.signal(syscall.SIGSTOP) }
func (c *testCluster) resume(n *node) { n.signal(syscall.SIGCONT) }

// restart starts a stopped node again with the same id, ports, data and
// flags.
func (c *testCluster) restart(n *node) {
	c.t.Helper()
	if n.running() {
		c.t.Fatalf("restart %s: still running", n.id)
	}
	c.start(n)
}

// wipe deletes a stopped node's data directory.
func (c *testCluster) wipe(n *node) {
	c.t.Helper()
	if n.running() {
		c.t.Fatalf("wipe %s: still running", n.id)
	}
	if err := os.RemoveAll(n.dataDir); err != nil {
		c.t.Fatal(err)
	}
}

// add starts one more node that joins the running cluster.
func (c *testCluster) add(id string, opts clusterOpts) *node {
	c.t.Helper()
	if opts.bootstrapExpect == 0 {
		opts.bootstrapExpect = len(c.nodes)
	}
	if opts.deadServerTimeout == 0 {
		opts.deadServerTimeout = time.Minute
	}
	n := c.newNode(id, opts)
	n.https = opts.tls != nil
	c.nodes = append(c.nodes, n)
	c.start(n)
	return n
}

func (c *testCluster) stopAll() {
	for _, n := range c.nodes {
		if n.running() {
			c.kill(n)
		}
	}
	if c.t.Failed() {
		for _, n := range c.nodes {
			b, _ := os.ReadFile(filepath.Join(n.dataDir, "..", n.id+".log"))
			lines := strings.Split(string(b), "\n")
			if len(lines) > 40 {
				lines = lines[len(lines)-40:]
			}
			c.t.Logf("--- last log lines of %s ---\n%s", n.id, strings.Join(lines, "\n"))
		}
	}
}

// status fetches /v1/cluster/status from a node.
func (c *testCluster) status(n *node) (status, error) {
	var s status
	err := c.getJSON(n.url()+"/v1/cluster/status", &s)
	return s, err
}

type status struct {
	ID        string `json:"id"`
	ClusterID string `json:"cluster_id"`
	State     string `json:"state"`
	Term      uint64 `json:"term"`
	Leader    *struct {
		ID       string `json:"id"`
		HTTPAddr string `json:"http_addr"`
	} `json:"leader"`
	CommitIndex  uint64 `json:"commit_index"`
	AppliedIndex uint64 `json:"applied_index"`
	FSMIndex     uint64 `json:"fsm_index"`
	Digest       string `json:"digest"`
	Ready        bool   `json:"ready"`
}

type member struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

func (c *testCluster) members(n *node) ([]member, error) {
	var out struct {
		Members []member `json:"members"`
	}
	err := c.getJSON(n.url()+"/v1/cluster/members", &out)
	return out.Members, err
}

func (c *testCluster) getJSON(url string, v any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

// eventually polls cond every 100ms until it returns nil or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not true within %v: %v", what, timeout, err)
}

// waitReady waits until every given node is ready (/readyz 200).
func (c *testCluster) waitReady(nodes ...*node) {
	c.t.Helper()
	for _, n := range nodes {
		eventually(c.t, 30*time.Second, n.id+" ready", func() error {
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
}

// leader waits until all running nodes agree on one leader and returns it.
func (c *testCluster) leader() *node {
	c.t.Helper()
	var found *node
	eventually(c.t, 30*time.Second, "one agreed leader", func() error {
		found = nil
		var agreed string
		for _, n := range c.nodes {
			if !n.running() {
				continue
			}
			s, err := c.status(n)
			if err != nil {
				return err
			}
			if s.Leader == nil {
				return fmt.Errorf("%s knows no leader", n.id)
			}
			if agreed != "" && s.Leader.ID != agreed {
				return fmt.Errorf("%s says leader %s, others %s", n.id, s.Leader.ID, agreed)
			}
			agreed = s.Leader.ID
		}
		for _, n := range c.nodes {
			if n.id == agreed {
				found = n
			}
		}
		if found == nil {
			return fmt.Errorf("leader %q is not a running node", agreed)
		}
		return nil
	})
	return found
}

func (c *testCluster) followers(leader *node) []*node {
	var out []*node
	for _, n := range c.nodes {
		if n != leader && n.running() {
			out = append(out, n)
		}
	}
	return out
}

// sameDigest waits until every running node reports the same state digest
// at the same applied FSM index.
func (c *testCluster) sameDigest(timeout time.Duration) string {
	c.t.Helper()
	var digest string
	eventually(c.t, timeout, "identical state digests", func() error {
		digest = ""
		var idx uint64
		for _, n := range c.nodes {
			if !n.running() {
				continue
			}
			s, err := c.status(n)
			if err != nil {
				return err
			}
			if digest == "" {
				digest, idx = s.Digest, s.FSMIndex
				continue
			}
			if s.Digest != digest || s.FSMIndex != idx {
				return fmt.Errorf("%s at %d has digest %.12s, first node at %d has %.12s", n.id, s.FSMIndex, s.Digest, idx, digest)
			}
		}
		return nil
	})
	return digest
}

// client returns a Go client talking to the given nodes.
func (c *testCluster) client(nodes ...*node) *client.Client {
	c.t.Helper()
	var eps []string
	for _, n := range nodes {
		eps = append(eps, n.url())
	}
	cfg := client.DefaultConfig()
	cfg.Endpoints = eps
	cl, err := client.New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// response is one HTTP exchange's outcome.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.code, r.body) }

// do sends one request; body, when not nil, is JSON-encoded.
func (c *testCluster) do(method, url string, body any, hdr ...string) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, header: resp.Header, body: b}, err
}

const base = "/apis/entities/v2"
