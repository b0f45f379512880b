package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
)

// TestAdmission_mismatchRefusesToServe: a node whose flags disagree with
// the cluster's settings answers 503 cluster_mismatch on every data and
// admin route, reports not ready with the reason, and still answers
// liveness, status and members.
func TestAdmission_mismatchRefusesToServe(t *testing.T) {
	mismatch := fmt.Errorf("%w: this node runs with --auth none, cluster x runs with auth mode oidc", cluster.ErrAuthModeMismatch)
	hs, _ := newFakeServer(t, &fakeCluster{isLeader: always(true), leader: leaderAt("http://127.0.0.1:1"), admission: mismatch})
	c := &http.Client{}
	for _, rq := range []struct{ method, path string }{
		{http.MethodGet, base + "/workspaces"},
		{http.MethodPost, base + "/workspaces"},
		{http.MethodGet, base + "/workspaces/default"},
		{http.MethodGet, base + "/workspaces/default/members"},
		{http.MethodGet, base + "/workspaces/default/projects"},
		{http.MethodGet, "/v1/cluster/snapshot"},
		{http.MethodPost, "/v1/cluster/restore"},
		{http.MethodDelete, "/v1/cluster/members/n2"},
		{http.MethodGet, "/readyz"},
	} {
		r := doURL(t, c, rq.method, hs.URL+rq.path, nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != codeClusterMismatch ||
			!strings.Contains(string(r.body), "refuses to serve") || !strings.Contains(string(r.body), "auth mode oidc") {
			t.Errorf("%s %s: %s (code %q), want 503 cluster_mismatch naming the modes", rq.method, rq.path, r, r.header.Get(client.HeaderErrorCode))
		}
	}
	for _, path := range []string{"/healthz", "/v1/cluster/status", "/v1/cluster/members"} {
		if r := doURL(t, c, http.MethodGet, hs.URL+path, nil); r.code != http.StatusOK {
			t.Errorf("GET %s: %s, want 200", path, r)
		}
	}
}
