package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/oidctest"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// Admission (issue 10, finding 3): joining a cluster needs its secrets,
// and a node whose authentication flags disagree with the cluster's
// refuses to serve.

// clusterSecrets are the flags of a node that holds the cluster's gossip
// key and raft certificate.
func clusterSecrets(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t, "wsd admission test CA")
	caFile := ca.writeCA(t, dir, "ca.pem")
	cert, key := ca.issue(t, dir, "raft")
	gk := make([]byte, 32)
	if _, err := rand.Read(gk); err != nil {
		t.Fatal(err)
	}
	return append(raftTLSArgs(cert, key, caFile), "--gossip-key="+base64.StdEncoding.EncodeToString(gk))
}

// addJoinOnly starts one more node that joins every other node, with no
// --bootstrap-expect (join only), and the given args.
func (c *testCluster) addJoinOnly(id string, args ...string) *node {
	c.t.Helper()
	n := c.newNode(id, clusterOpts{deadServerTimeout: time.Minute, extraArgs: args})
	n.expect = 0
	c.nodes = append(c.nodes, n)
	c.start(n)
	return n
}

// oidcArgs turns OIDC on without --insecure-cluster.
func oidcArgs(iss *oidctest.Issuer) []string {
	return []string{"--auth=oidc", "--oidc-issuer=" + iss.URL, "--oidc-audience=" + oidctest.Audience, "--admin-principal=" + adminPrincipal}
}

// TestAdmission_authNeedsSecrets: with --auth oidc a node refuses to start
// without the gossip key and raft mutual TLS, unless --insecure-cluster is
// given, which it logs at WARN.
func TestAdmission_authNeedsSecrets(t *testing.T) {
	wsd, _ := testserver.Build(t)
	iss := oidctest.New(t)
	base := append([]string{"--data-dir=" + t.TempDir(), "--http-addr=127.0.0.1:0", "--raft-addr=127.0.0.1:0", "--gossip-addr=127.0.0.1:0"}, oidcArgs(iss)...)
	// It must refuse at once; one still running after a while has started.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wsd, base...).CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "--gossip-key") || !strings.Contains(string(out), "--raft-tls-cert") || !strings.Contains(string(out), "--insecure-cluster") {
		t.Fatalf("wsd --auth oidc without secrets: err %v, output:\n%s\nwant a refusal naming the missing flags and --insecure-cluster", err, out)
	}
	srv := testserver.Start(t, testserver.Options{Args: append(oidcArgs(iss), "--insecure-cluster")})
	if log := string(srv.LogTail()); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "INSECURE CLUSTER") {
		t.Errorf("--insecure-cluster: no loud warning in the log:\n%s", log)
	}
}

// TestAdmission_rogueWithoutSecretsNeverAdmitted: a host that reaches the
// gossip port but lacks the gossip key (and the raft certificate) never
// enters the raft configuration and receives nothing, even when it tries
// for longer than a healthy server takes to be added and promoted.
func TestAdmission_rogueWithoutSecretsNeverAdmitted(t *testing.T) {
	iss := oidctest.New(t)
	c := newCluster(t, clusterOpts{size: 3, extraArgs: append(oidcArgs(iss), clusterSecrets(t)...), adminToken: iss.Token(t, adminPrincipal, "")})
	leader := c.leader()
	// The rogue runs without authentication, joins every node, and would
	// bootstrap nothing of its own (join only).
	rogue := c.addJoinOnly("rogue", "--auth=none")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range c.nodes {
			if n == rogue {
				continue
			}
			ms, err := c.members(n)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(ms, func(m member) bool { return m.ID == rogue.id }) {
				t.Fatalf("%s lists the rogue as a raft server: %+v", n.id, ms)
			}
		}
		if s, err := c.status(rogue); err == nil && (s.FSMIndex != 0 || s.Leader != nil || s.Ready) {
			t.Fatalf("the rogue received data or found the leader: %+v", s)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !rogue.running() {
		t.Fatal("the rogue exited; it should keep trying")
	}
	c.kill(rogue)
	_ = leader
	c.sameDigest(10 * time.Second)
}

// TestAdmission_authNoneNodeRefusesToServe: a cluster with OIDC forms with
// one of its three nodes mis-started with --auth none (it may even win the
// first election), and a fourth --auth none node joins later. The cluster
// records auth mode oidc whoever leads; the --auth none nodes are not
// ready, answer every data request 503 cluster_mismatch without data, and
// do not keep leadership; the others serve with authentication.
func TestAdmission_authNoneNodeRefusesToServe(t *testing.T) {
	iss := oidctest.New(t)
	secrets := clusterSecrets(t)
	c := newSoloCluster(t)
	c.token = iss.Token(t, adminPrincipal, "") // status and members need a caller
	oidc := append(oidcArgs(iss), secrets...)
	none := append([]string{"--auth=none"}, secrets...)
	for _, spec := range []struct {
		id   string
		args []string
	}{{"n1", oidc}, {"n2", oidc}, {"n3", none}} {
		n := c.newNode(spec.id, clusterOpts{bootstrapExpect: 3, deadServerTimeout: time.Minute, extraArgs: spec.args})
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		c.start(n)
	}
	good := c.nodes[:2]
	c.waitReady(good...)
	n4 := c.addJoinOnly("n4", none...)
	bad := []*node{c.nodes[2], n4}

	root := iss.Token(t, adminPrincipal, "")
	mustDo(t, c, http.MethodPost, good[0].url()+base+"/workspaces", nil, http.StatusUnauthorized)
	if r, err := c.as(root, http.MethodPost, good[1].url()+base+"/workspaces", map[string]any{"name": "secret"}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("create as root: %v %v", r, err)
	}
	for _, n := range bad {
		eventually(t, 30*time.Second, n.id+" refuses to serve", func() error {
			s, err := c.status(n)
			if err != nil {
				return err
			}
			if s.Ready || s.FSMIndex == 0 {
				return fmt.Errorf("%s: ready %v at index %d; want it to have the state and not be ready", n.id, s.Ready, s.FSMIndex)
			}
			return nil
		})
		for _, rq := range []struct{ method, path string }{
			{http.MethodGet, "/readyz"},
			{http.MethodGet, base + "/workspaces"},
			{http.MethodGet, base + "/workspaces/secret"},
			{http.MethodPost, base + "/workspaces"},
			{http.MethodGet, "/v1/cluster/snapshot"},
		} {
			r, err := c.do(rq.method, n.url()+rq.path, map[string]any{"name": "anon-" + n.id})
			if err != nil || r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "cluster_mismatch" || strings.Contains(string(r.body), "secret\"") {
				t.Errorf("%s %s on %s: %v %v; want 503 cluster_mismatch", rq.method, rq.path, n.id, r, err)
			}
		}
	}
	// Whoever led first, the --auth none nodes do not lead now.
	eventually(t, 30*time.Second, "an oidc node leads", func() error {
		s, err := c.status(good[0])
		if err != nil {
			return err
		}
		if s.Leader == nil || (s.Leader.ID != "n1" && s.Leader.ID != "n2") {
			return fmt.Errorf("leader %+v", s.Leader)
		}
		return nil
	})
	for _, n := range good {
		if r, err := c.as(root, http.MethodGet, n.url()+base+"/workspaces/secret?consistency=linearizable", nil); err != nil || r.code != http.StatusOK {
			t.Errorf("read as root on %s: %v %v", n.id, r, err)
		}
	}
	for _, n := range c.nodes {
		if r, _ := c.as(root, http.MethodGet, n.url()+base+"/workspaces/anon-"+n.id, nil); r.code == http.StatusOK {
			t.Errorf("an anonymous create through %s was applied", n.id)
		}
	}
}
