package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// haproxy is a load balancer in front of a cluster, health-checking
// /readyz, as a deployment would run one.
type haproxy struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

// haproxyConfig renders the configuration: short check intervals, so that
// a dead node leaves the rotation within about half a second.
func haproxyConfig(port int, backends []*node) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 1024

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 1s
    retries 2
    option redispatch

frontend wsd_front
    bind 127.0.0.1:%d
    default_backend wsd_nodes

backend wsd_nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 250ms fastinter 250ms downinter 500ms fall 2 rise 2
`, port)
	for _, n := range backends {
		fmt.Fprintf(&b, "    server %s %s:%d check\n", n.id, n.addr(), n.httpPort)
	}
	return b.String()
}

// startHAProxy starts haproxy on a free loopback port in front of the
// given nodes and stops it in t.Cleanup. Without haproxy it fails the
// test in CI and returns nil elsewhere.
func startHAProxy(t *testing.T, backends []*node) *haproxy {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("haproxy is not installed (.ci/run installs it): %v", err)
		}
		t.Logf("haproxy is not installed, skipping the load balancer run: %v", err)
		return nil
	}
	dir := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(port, backends)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-q", "-f", cfg).CombinedOutput(); err != nil {
		t.Fatalf("haproxy rejects its configuration: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start haproxy: %v", err)
	}
	h := &haproxy{url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(h.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-h.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "haproxy.log"))
			t.Logf("--- haproxy log ---\n%s", b)
		}
	})
	hc := &http.Client{Timeout: 2 * time.Second}
	eventually(t, 30*time.Second, "haproxy routes /readyz to a ready node", func() error {
		select {
		case <-h.done:
			return errors.New("haproxy exited")
		default:
		}
		resp, err := hc.Get(h.url + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz through haproxy: %d", resp.StatusCode)
		}
		return nil
	})
	return h
}

// failoverResult is what the load balancer run measured.
type failoverResult struct {
	ran bool
	// noHAProxy: not run because haproxy is not installed.
	noHAProxy bool
	attempts  int
	succeeded int
	unknown   int
	// longestGap is the longest time without a successful write.
	longestGap time.Duration
	// acked maps each acknowledged name to its id.
	acked map[string]string
	// problems are answers a correct service never gives.
	problems []string
}

func (f failoverResult) successRate() float64 {
	if f.attempts == 0 {
		return 0
	}
	return 100 * float64(f.succeeded) / float64(f.attempts)
}

func (f failoverResult) String() string {
	switch {
	case f.noHAProxy:
		return "failover{skipped=no_haproxy}"
	case !f.ran:
		return "failover{not_run}"
	}
	return fmt.Sprintf("failover{success_rate=%.1f%% longest_write_gap=%.2fs writes=%d}", f.successRate(), f.longestGap.Seconds(), f.attempts)
}

// runFailover puts haproxy in front of the cluster and has writers create
// workspaces through it with the Go client while the leader is killed
// and restarted kills times.
func runFailover(t *testing.T, c *testCluster, kills int) failoverResult {
	t.Helper()
	lb := startHAProxy(t, c.nodes)
	if lb == nil {
		return failoverResult{noHAProxy: true}
	}
	cfg := client.DefaultConfig()
	cfg.Endpoints = []string{lb.url}
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	cfg.MaxRetries = 8
	cfg.RetryBackoff = 100 * time.Millisecond
	cl, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	res := failoverResult{ran: true, acked: map[string]string{}}
	var (
		mu        sync.Mutex
		successes []time.Time
		failures  = map[string]int{}
		wg        sync.WaitGroup
	)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() {
		stopOnce.Do(func() { close(stop) })
		wg.Wait()
	}
	// Also when a helper below fails the test.
	defer halt()
	start := time.Now()
	const writers = 2
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("lb-%d-%d", w, k)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				ws, err := cl.CreateWorkspace(ctx, name, client.WithDescription("failover"))
				cancel()
				mu.Lock()
				res.attempts++
				switch {
				case err == nil:
					res.succeeded++
					res.acked[name] = ws.ID
					successes = append(successes, time.Now())
				case errors.Is(err, client.ErrAlreadyExists):
					// Each name is sent once per call, and the client repeats
					// a write only when told it was not applied.
					res.problems = append(res.problems, fmt.Sprintf("create %s through the load balancer: %v (a write reported as not applied was applied)", name, err))
				case errors.Is(err, client.ErrOutcomeUnknown):
					res.unknown++
				default:
					var se *client.StatusError
					if errors.As(err, &se) && se.StatusCode >= 500 && se.StatusCode != 503 && se.Code != "" {
						// An answer from wsd itself (haproxy's own carry no code).
						res.problems = append(res.problems, fmt.Sprintf("create %s: %v", name, err))
					}
					failures[failureKind(err)]++
				}
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	time.Sleep(3 * time.Second)
	for range kills {
		l := c.leader()
		t.Logf("failover: killing leader %s", l.id)
		c.kill(l)
		time.Sleep(2 * time.Second)
		c.restart(l)
		c.waitReady(c.nodes...)
		time.Sleep(3 * time.Second)
	}
	halt()
	end := time.Now()

	sort.Slice(successes, func(i, j int) bool { return successes[i].Before(successes[j]) })
	prev := start
	for _, s := range append(successes, end) {
		if d := s.Sub(prev); d > res.longestGap {
			res.longestGap = d
		}
		prev = s
	}
	t.Logf("failover through haproxy: %d writes, %d succeeded (%.1f%%), %d unknown outcome, longest gap without a successful write %v",
		res.attempts, res.succeeded, res.successRate(), res.unknown, res.longestGap.Round(time.Millisecond))
	for k, n := range failures {
		t.Logf("failover: %d× %s", n, k)
	}
	return res
}

// failureKind names a failed write for the log: the status and code, or
// the error's class.
func failureKind(err error) string {
	var se *client.StatusError
	if errors.As(err, &se) {
		if se.Code == "" {
			return fmt.Sprintf("%d without an error code (from haproxy)", se.StatusCode)
		}
		return fmt.Sprintf("%d %s", se.StatusCode, se.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return err.Error()
}
