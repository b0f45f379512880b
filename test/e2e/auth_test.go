package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/oidctest"
)

// adminPrincipal is the --admin-principal of the clusters with
// authentication on: PlatformAdmin from initialisation.
const adminPrincipal = "root"

// authTestGossipKey is the cluster secret of the clusters with
// authentication on: without one their peer service refuses every call.
const authTestGossipKey = "d3NkLWUyZS1hdXRoLWNsdXN0ZXItc2VjcmV0LTMyYiE="

// authArgs turns OIDC authentication on against iss, with a cluster
// secret (the gossip key) but without raft mutual TLS
// (--insecure-cluster); tls_test.go adds the raft TLS flags.
func authArgs(iss *oidctest.Issuer) []string {
	return []string{
		"--auth=oidc",
		"--gossip-key=" + authTestGossipKey,
		"--insecure-cluster",
		"--oidc-issuer=" + iss.URL,
		"--oidc-audience=" + oidctest.Audience,
		"--admin-principal=" + adminPrincipal,
	}
}

// tokenClient is a Go client of the given nodes that sends token.
func (c *testCluster) tokenClient(token string, nodes ...*node) *client.Client {
	c.t.Helper()
	cfg := client.DefaultConfig()
	for _, n := range nodes {
		cfg.Endpoints = append(cfg.Endpoints, n.url())
	}
	cfg.Token = token
	if c.tls != nil {
		cfg.HTTPClient = &http.Client{Transport: c.http.Transport}
	}
	cl, err := client.New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// as sends one request with token as its bearer token.
func (c *testCluster) as(token, method, url string, body any) (response, error) {
	return c.do(method, url, body, "Authorization", "Bearer "+token)
}

func indexOf(r response) uint64 {
	n, _ := strconv.ParseUint(r.header.Get(client.HeaderIndex), 10, 64)
	return n
}

// writeOutcome is one acknowledged write of the revocation race.
type writeOutcome struct {
	node   string
	op     string
	code   int
	index  uint64
	sentAt time.Time
}

// TestAuth_revocationRace revokes a member's Editor role while that
// member keeps writing (workspace updates and reference acquires) through
// the other nodes. Every write is decided at its own log index, so no
// write of theirs commits after the revocation: each acknowledged write
// has an index below the revocation's, each refused one an index above
// it, and every write sent after the revocation was acknowledged is
// refused.
func TestAuth_revocationRace(t *testing.T) {
	iss := oidctest.New(t)
	c := newCluster(t, clusterOpts{size: 3, extraArgs: authArgs(iss), adminToken: iss.Token(t, adminPrincipal, "")})
	leader := c.leader()
	fs := c.followers(leader)
	admin := iss.Token(t, "alice", "alice@example.com")
	eve := iss.Token(t, "eve", "eve@example.com")

	wsURL := func(n *node) string { return n.url() + base + "/workspaces/race" }
	if r, err := c.as(admin, http.MethodPost, leader.url()+base+"/workspaces", map[string]any{"name": "race"}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("create: %v %v", r, err)
	}
	if r, err := c.as(admin, http.MethodPost, wsURL(leader)+"/members", map[string]any{"principal": "eve@example.com", "roles": []string{"Editor"}}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("add eve: %v %v", r, err)
	}

	var (
		mu       sync.Mutex
		outcomes []writeOutcome
		unknown  int
		wg       sync.WaitGroup
		stop     = make(chan struct{})
		okSeen   = make(chan struct{}, 1024)
	)
	// Eve writes through the leader and the first follower; the
	// revocation goes through the second follower.
	writers := []*node{fs[0], fs[0], leader}
	for w, n := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				op, method, url, body := "update", http.MethodPut, wsURL(n), any(map[string]any{"description": fmt.Sprintf("w%d-%d", w, i)})
				if i%2 == 1 {
					op, method, url, body = "acquire", http.MethodPut, wsURL(n)+fmt.Sprintf("/entity-refs/models/w%d-%d", w, i), nil
				}
				sent := time.Now()
				r, err := c.as(eve, method, url, body)
				mu.Lock()
				switch {
				case err != nil || (r.code != http.StatusOK && r.code != http.StatusCreated && r.code != http.StatusForbidden):
					unknown++ // no answer, or a 503: not counted either way
				default:
					outcomes = append(outcomes, writeOutcome{node: n.id, op: op, code: r.code, index: indexOf(r), sentAt: sent})
				}
				mu.Unlock()
				if err == nil && r.code < 300 {
					select {
					case okSeen <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	// Let the writes flow, then revoke in the middle of them.
	for range 30 {
		select {
		case <-okSeen:
		case <-time.After(20 * time.Second):
			t.Fatal("eve's writes are not being acknowledged")
		}
	}
	r, err := c.as(admin, http.MethodPut, wsURL(fs[1])+"/members/eve@example.com", map[string]any{"roles": []string{"Viewer"}})
	if err != nil || r.code != http.StatusOK {
		t.Fatalf("revoke: %v %v", r, err)
	}
	revokedAt, revIdx := time.Now(), indexOf(r)
	if revIdx == 0 {
		t.Fatalf("revocation answer has no %s", client.HeaderIndex)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	var before, after, late int
	for _, o := range outcomes {
		switch {
		case o.code == http.StatusForbidden:
			after++
			if o.index <= revIdx {
				t.Errorf("%s via %s refused at index %d, not after the revocation at %d", o.op, o.node, o.index, revIdx)
			}
		default:
			before++
			if o.index >= revIdx {
				t.Errorf("%s via %s acknowledged (%d) at index %d, at or after the revocation at %d", o.op, o.node, o.code, o.index, revIdx)
			}
		}
		if o.sentAt.After(revokedAt) {
			late++
			if o.code != http.StatusForbidden {
				t.Errorf("%s via %s sent after the revocation was acknowledged: %d at index %d, want 403", o.op, o.node, o.code, o.index)
			}
		}
	}
	t.Logf("revocation at index %d: %d writes acknowledged before, %d refused after (%d sent after it), %d without an answer", revIdx, before, after, late, unknown)
	if before < 30 || late < 10 {
		t.Fatalf("too few writes around the revocation (%d before, %d sent after) to show anything", before, late)
	}

	// The state agrees: every reference eve holds was acknowledged, and
	// she can still read (Viewer) but not write.
	acquired := 0 // each acquire names a new reference
	for _, o := range outcomes {
		if o.op == "acquire" && o.code == http.StatusCreated {
			acquired++
		}
	}
	u, err := c.tokenClient(eve, fs[1]).Usage(ctxT(t, 10*time.Second), "race", client.WithConsistency(client.ConsistencyLinearizable))
	if err != nil {
		t.Fatalf("usage as Viewer: %v", err)
	}
	if unknown == 0 && u.Total != acquired {
		t.Errorf("references held = %d, acknowledged acquires = %d", u.Total, acquired)
	}
	c.sameDigest(10 * time.Second)
}
