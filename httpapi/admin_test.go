package httpapi

import (
	"net/http"
	"testing"
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
