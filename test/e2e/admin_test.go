package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/internal/oidctest"
)

// The cluster admin API (/v1/cluster/*) with authentication on: issue 10,
// findings 2, 4, 5 and 6.

// adminCluster starts a 3-node cluster with OIDC authentication on; the
// harness's own calls carry the PlatformAdmin's token.
func adminCluster(t *testing.T, extra ...string) (*testCluster, *oidctest.Issuer, string) {
	t.Helper()
	iss := oidctest.New(t)
	root := iss.Token(t, adminPrincipal, "")
	c := newCluster(t, clusterOpts{size: 3, extraArgs: append(authArgs(iss), extra...), adminToken: root})
	return c, iss, root
}

// send sends one request with a raw body and content type; token "" sends
// no credentials.
func (c *testCluster) send(token, method, url, ctype string, body io.Reader) (response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return response{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{code: resp.StatusCode, header: resp.Header, body: b}, err
}

// saveSnapshot takes a snapshot through n as token.
func (c *testCluster) saveSnapshot(token string, n *node) []byte {
	c.t.Helper()
	r, err := c.send(token, http.MethodGet, n.url()+"/v1/cluster/snapshot", "", nil)
	if err != nil || r.code != http.StatusOK {
		c.t.Fatalf("snapshot through %s: %v %v", n.id, r, err)
	}
	return r.body
}

// Finding 2: with --auth oidc, every cluster admin route refuses an
// anonymous caller (401) and an authenticated caller who is not
// PlatformAdmin (403) for the calls that read or change the whole cluster,
// on the leader and through a follower; the data, the members and the
// leader stay as they were. A PlatformAdmin succeeds, and every admin call
// is logged with its principal and remote address.
func TestAdmin_clusterAPINeedsPlatformAdmin(t *testing.T) {
	c, iss, root := adminCluster(t)
	leader := c.leader()
	fs := c.followers(leader)
	viewer := iss.Token(t, "vic", "vic@corp.test")
	if r, err := c.as(root, http.MethodPost, leader.url()+base+"/workspaces/system/members", map[string]any{"principal": "vic", "roles": []string{"Viewer"}}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("grant vic Viewer on system: %v %v", r, err)
	}
	// The snapshot an attacker would restore: the state before "precious".
	old := c.saveSnapshot(root, leader)
	if r, err := c.as(root, http.MethodPost, leader.url()+base+"/workspaces", map[string]any{"name": "precious"}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("create: %v %v", r, err)
	}
	before := c.sameDigest(15 * time.Second)

	type call struct {
		method, path string
		body         []byte
		// viewerOK: any authenticated caller may make this call.
		viewerOK bool
	}
	calls := func(target *node) []call {
		victim := fs[0]
		if target == fs[0] {
			victim = fs[1]
		}
		return []call{
			{http.MethodGet, "/v1/cluster/status", nil, true},
			{http.MethodGet, "/v1/cluster/members", nil, true},
			{http.MethodGet, "/v1/cluster/snapshot", nil, false},
			{http.MethodPost, "/v1/cluster/restore", old, false},
			{http.MethodDelete, "/v1/cluster/members/" + victim.id, nil, false},
			{http.MethodPost, "/v1/cluster/transfer-leadership", nil, false},
			{http.MethodPost, "/v1/cluster/leave", nil, false},
		}
	}
	for _, target := range []*node{leader, fs[0]} {
		for _, k := range calls(target) {
			for _, who := range []struct {
				name, token string
				want        int
			}{
				{"anonymous", "", http.StatusUnauthorized},
				{"garbage token", "not-a-jwt", http.StatusUnauthorized},
				{"viewer", viewer, http.StatusForbidden},
			} {
				want := who.want
				if who.token == viewer && k.viewerOK {
					want = http.StatusOK
				}
				var body io.Reader
				if k.body != nil {
					body = bytes.NewReader(k.body)
				}
				r, err := c.send(who.token, k.method, target.url()+k.path, "application/octet-stream", body)
				if err != nil {
					t.Fatalf("%s %s on %s as %s: %v", k.method, k.path, target.id, who.name, err)
				}
				if r.code != want {
					t.Errorf("%s %s on %s as %s = %d %.200s, want %d", k.method, k.path, target.id, who.name, r.code, r.body, want)
				}
				if want != http.StatusOK && (bytes.Contains(r.body, []byte("WSDSNAP")) || !bytes.Contains(r.body, []byte(`"detail"`))) {
					t.Errorf("%s %s on %s as %s: refusal body %.200q is not a {\"detail\"} error", k.method, k.path, target.id, who.name, r.body)
				}
			}
		}
	}
	// Nothing changed: same data on every node, all three members, same
	// leader.
	if after := c.sameDigest(15 * time.Second); after != before {
		t.Fatalf("digest changed from %.12s to %.12s by refused calls", before, after)
	}
	if now := c.leader(); now != leader {
		t.Fatalf("leader moved from %s to %s", leader.id, now.id)
	}
	ms, err := c.members(leader)
	if err != nil || len(ms) != 3 {
		t.Fatalf("members after refused calls: %v %v", ms, err)
	}
	for _, n := range c.nodes {
		if !n.running() {
			t.Fatalf("%s stopped", n.id)
		}
	}

	// The PlatformAdmin may: snapshot and restore through a follower,
	// transfer leadership.
	snap := c.saveSnapshot(root, fs[1])
	if !bytes.HasPrefix(snap, []byte("WSDSNAP\n")) {
		t.Fatalf("snapshot starts with %.20q", snap)
	}
	r, err := c.send(root, http.MethodPost, fs[1].url()+"/v1/cluster/restore", "application/octet-stream", bytes.NewReader(old))
	if err != nil || r.code != http.StatusOK {
		t.Fatalf("restore as PlatformAdmin: %v %v", r, err)
	}
	if restored := c.sameDigest(15 * time.Second); restored == before {
		t.Fatal("restore as PlatformAdmin did not change the digest")
	}
	if r, err := c.send(root, http.MethodPost, leader.url()+"/v1/cluster/transfer-leadership", "", nil); err != nil || r.code != http.StatusOK {
		t.Fatalf("transfer as PlatformAdmin: %v %v", r, err)
	}

	// Every admin call is in the log of the node that received it, with
	// the principal and the remote address; the refused ones too.
	logOf := func(n *node) string {
		b, _ := os.ReadFile(filepath.Join(n.dataDir, "..", n.id+".log"))
		return string(b)
	}
	for _, want := range []struct {
		n    *node
		subs []string
	}{
		{fs[0], []string{"path=/v1/cluster/restore", "principal=vic", "status=403", "remote=127.0.0.1:"}},
		{fs[0], []string{"path=/v1/cluster/snapshot", "principal=anonymous", "status=401", "remote=127.0.0.1:"}},
		{fs[1], []string{"path=/v1/cluster/restore", "principal=" + adminPrincipal, "status=200"}},
		{leader, []string{"path=/v1/cluster/transfer-leadership", "principal=" + adminPrincipal, "status=200"}},
	} {
		found := false
		for _, line := range strings.Split(logOf(want.n), "\n") {
			ok := strings.Contains(line, "level=INFO") && strings.Contains(line, "cluster admin call")
			for _, s := range want.subs {
				ok = ok && strings.Contains(line, s)
			}
			if ok {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s's log has no INFO admin call line with %q", want.n.id, want.subs)
		}
	}
}

// Finding 6: the last PlatformAdmin can be neither removed nor demoted
// (409 with a detail), through any node; with a second PlatformAdmin the
// first may go, and the second is then the last.
func TestAdmin_lastPlatformAdmin(t *testing.T) {
	c, iss, root := adminCluster(t)
	leader := c.leader()
	fs := c.followers(leader)
	sys := base + "/workspaces/system/members/"
	for _, n := range []*node{leader, fs[0]} {
		if r, err := c.as(root, http.MethodDelete, n.url()+sys+adminPrincipal, nil); err != nil || r.code != http.StatusConflict || !bytes.Contains(r.body, []byte("PlatformAdmin")) {
			t.Errorf("root removes itself through %s: %v %v, want 409", n.id, r, err)
		}
		if r, err := c.as(root, http.MethodPut, n.url()+sys+adminPrincipal, map[string]any{"roles": []string{"Viewer"}}); err != nil || r.code != http.StatusConflict {
			t.Errorf("root demotes itself through %s: %v %v, want 409", n.id, r, err)
		}
	}
	if r, err := c.as(root, http.MethodPost, fs[1].url()+base+"/workspaces/system/members", map[string]any{"principal": "carol", "roles": []string{"PlatformAdmin"}}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("grant carol PlatformAdmin: %v %v", r, err)
	}
	if r, err := c.as(root, http.MethodDelete, fs[1].url()+sys+adminPrincipal, nil); err != nil || r.code != http.StatusOK {
		t.Fatalf("root leaves, carol stays: %v %v", r, err)
	}
	carol := iss.Token(t, "carol", "")
	if r, err := c.as(carol, http.MethodDelete, fs[0].url()+sys+"carol", nil); err != nil || r.code != http.StatusConflict {
		t.Errorf("carol, now the last, removes herself: %v %v, want 409", r, err)
	}
	// carol still administers the cluster.
	c.token = carol
	if r, err := c.send(carol, http.MethodGet, leader.url()+"/v1/cluster/snapshot", "", nil); err != nil || r.code != http.StatusOK {
		t.Errorf("snapshot as carol: %v %v", r, err)
	}
	c.sameDigest(15 * time.Second)
}

// Finding 7: with --oidc-username-prefix and --oidc-groups-prefix, a role
// binding for the email admin@corp.test matches only a caller whose
// issuer verified that email: not a subject or a group of that name, nor
// an unverified email or one whose verification the token does not state.
// Group and user bindings name the prefixed strings and match only their
// own kind.
func TestAdmin_principalNamespaces(t *testing.T) {
	c, iss, root := adminCluster(t, "--oidc-username-prefix=user:", "--oidc-groups-prefix=group:", "--admin-principal=user:"+adminPrincipal)
	leader := c.leader()
	fs := c.followers(leader)
	ws := fs[0].url() + base + "/workspaces/secret"
	if r, err := c.as(root, http.MethodPost, leader.url()+base+"/workspaces", map[string]any{"name": "secret"}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("create as the prefixed admin: %v %v", r, err)
	}
	for _, m := range []struct{ principal, role string }{
		{"admin@corp.test", "Admin"}, {"group:admins", "Viewer"}, {"user:bob", "Editor"},
	} {
		if r, err := c.as(root, http.MethodPost, ws+"/members", map[string]any{"principal": m.principal, "roles": []string{m.role}}); err != nil || r.code != http.StatusCreated {
			t.Fatalf("bind %s: %v %v", m.principal, r, err)
		}
	}
	claims := func(sub, email string, verified any, groups ...string) string {
		cl := iss.Claims(sub, email, groups...)
		if verified == nil {
			delete(cl, "email_verified")
		} else if email != "" {
			cl["email_verified"] = verified
		}
		return iss.Sign(t, cl)
	}
	for _, k := range []struct {
		name  string
		token string
		want  int
	}{
		{"verified email", claims("real-admin", "admin@corp.test", true), http.StatusOK},
		{"subject is the email", claims("admin@corp.test", "", nil), http.StatusNotFound},
		{"group is the email", claims("mallory", "", nil, "admin@corp.test"), http.StatusNotFound},
		{"email_verified false", claims("mallory", "admin@corp.test", false), http.StatusNotFound},
		{"email_verified missing", claims("mallory", "admin@corp.test", nil), http.StatusNotFound},
		{"email_verified \"false\"", claims("mallory", "admin@corp.test", "false"), http.StatusNotFound},
		{"in group admins", claims("carl", "", nil, "admins"), http.StatusOK},
		{"subject is the prefixed group", claims("group:admins", "", nil), http.StatusNotFound},
		{"user bob", claims("bob", "", nil), http.StatusOK},
		{"group named bob", claims("eve", "", nil, "bob"), http.StatusNotFound},
		{"group named user:bob", claims("eve", "", nil, "user:bob"), http.StatusNotFound},
	} {
		r, err := c.as(k.token, http.MethodGet, ws, nil)
		if err != nil || r.code != k.want {
			t.Errorf("%s reads secret: %v %v, want %d", k.name, r, err, k.want)
		}
		// Only the verified email holds Admin: only it may write. A caller
		// with no role in the workspace cannot see it: 404, as for a missing one.
		want := http.StatusNotFound
		if k.want == http.StatusOK {
			want = http.StatusForbidden // sees it, may not change it
		}
		switch k.name {
		case "verified email":
			want = http.StatusOK
		case "user bob":
			want = http.StatusOK // Editor
		}
		if r, err := c.as(k.token, http.MethodPut, ws, map[string]any{"description": k.name}); err != nil || r.code != want {
			t.Errorf("%s writes secret: %v %v, want %d", k.name, r, err, want)
		}
	}
}
