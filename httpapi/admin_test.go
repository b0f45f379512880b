package httpapi

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// octet is the header of a restore body.
var octet = []string{"Content-Type", "application/octet-stream"}

// TestAdmin_clusterRoutesNeedCredentials: with authentication on, every
// cluster route but the read index refuses an anonymous caller (401);
// snapshot, restore, remove-member, leave and transfer refuse an
// authenticated caller who is not PlatformAdmin (403); status and members
// answer any authenticated caller. Nothing changes.
func TestAdmin_clusterRoutesNeedCredentials(t *testing.T) {
	as := newAuthServer(t)
	root := as.iss.Token(t, subRoot, "")
	snap := as.call(t, root, http.MethodGet, clusterSnapshotPath, nil)
	if snap.code != http.StatusOK {
		t.Fatalf("snapshot as PlatformAdmin: %s", snap)
	}
	as.fixture(t, false, false)
	digest, index := as.digest(), as.node.FSM().State().Index()
	nobody := as.iss.Token(t, subNobody, "")
	creator := as.iss.Token(t, subCreator, "")
	for _, c := range []struct {
		method, path string
		body         any
		anyCaller    bool
	}{
		{http.MethodGet, clusterStatusPath, nil, true},
		{http.MethodGet, clusterMembersPath, nil, true},
		{http.MethodGet, clusterSnapshotPath, nil, false},
		{http.MethodPost, clusterRestorePath, snap.body, false},
		{http.MethodDelete, clusterMembersPath + "/n1", nil, false},
		{http.MethodPost, clusterLeavePath, nil, false},
		{http.MethodPost, clusterTransferPath, nil, false},
		{http.MethodGet, "/v1/cluster/unknown", nil, false},
	} {
		hdr := octet
		if r := as.do(t, c.method, c.path, c.body, hdr...); r.code != http.StatusUnauthorized || r.header.Get("Www-Authenticate") != "Bearer" {
			t.Errorf("%s %s anonymous: %s, want 401 with a Bearer challenge", c.method, c.path, r)
		}
		for _, tok := range []string{nobody, creator} {
			want := http.StatusForbidden
			switch {
			case c.anyCaller:
				want = http.StatusOK
			case c.path == "/v1/cluster/unknown":
				want = http.StatusNotFound
			}
			r := as.do(t, c.method, c.path, c.body, append(hdr, bearer(tok)...)...)
			if r.code != want {
				t.Errorf("%s %s without PlatformAdmin: %s, want %d", c.method, c.path, r, want)
			}
		}
	}
	if d, i := as.digest(), as.node.FSM().State().Index(); d != digest || i != index {
		t.Errorf("state changed: index %d -> %d, digest changed %v", index, i, d != digest)
	}
	// The PlatformAdmin gets past authorization (and then the single
	// node's own refusals).
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodDelete, clusterMembersPath + "/n1", http.StatusConflict}, // the leader
		{http.MethodPost, clusterLeavePath, http.StatusConflict},             // the only voter
		{http.MethodPost, clusterTransferPath, http.StatusConflict},          // no one to hand to
		{http.MethodGet, clusterStatusPath, http.StatusOK},
	} {
		if r := as.call(t, root, c.method, c.path, nil); r.code != c.want {
			t.Errorf("%s %s as PlatformAdmin: %s, want %d", c.method, c.path, r, c.want)
		}
	}
}

// With authentication on, a snapshot that grants PlatformAdmin to no one
// (one saved from a cluster without authentication, say) is refused: it
// would leave no one able to administer the cluster.
func TestAdmin_restoreWithoutPlatformAdminRefused(t *testing.T) {
	plain := newTestServer(t)
	plain.create(t, "elsewhere")
	snap, _ := saveSnapshot(t, plain.http, plain.URL)
	as := newAuthServer(t)
	root := as.iss.Token(t, subRoot, "")
	before := as.digest()
	r := as.do(t, http.MethodPost, clusterRestorePath, snap, append(bearer(root), octet...)...)
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "snapshot_without_admin") {
		t.Fatalf("restore of a snapshot without PlatformAdmin: %s, want 422 snapshot_without_admin", r)
	}
	if as.digest() != before {
		t.Fatal("state changed")
	}
	// Its own snapshot (root is PlatformAdmin in it) restores.
	own := as.call(t, root, http.MethodGet, clusterSnapshotPath, nil)
	if r := as.do(t, http.MethodPost, clusterRestorePath, own.body, append(bearer(root), octet...)...); r.code != http.StatusOK {
		t.Fatalf("restore of its own snapshot: %s", r)
	}
}

// A restore upload that stops sending is given up after the idle timeout
// (400, nothing changed), and the one-at-a-time gate opens again.
func TestAdmin_stalledRestoreUploadGivenUp(t *testing.T) {
	ts := newTestServer(t)
	ts.api.restoreIdle = 300 * time.Millisecond
	snap, _ := saveSnapshot(t, ts.http, ts.URL)
	before := ts.digest(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write(snap[:len(snap)/2]) }() // then nothing
	req, err := http.NewRequest(http.MethodPost, ts.URL+clusterRestorePath, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	start := time.Now()
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatalf("stalled restore: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get(client.HeaderErrorCode) != codeInvalid {
		t.Fatalf("stalled restore: %d %s, want 400", resp.StatusCode, b)
	}
	t.Logf("stalled upload given up after %v: %s", time.Since(start).Round(time.Millisecond), b)
	if ts.digest(t) != before {
		t.Fatal("state changed")
	}
	if r := ts.do(t, http.MethodPost, clusterRestorePath, snap, octet...); r.code != http.StatusOK {
		t.Fatalf("restore after the stalled one: %s", r)
	}
}
