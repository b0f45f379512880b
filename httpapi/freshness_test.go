package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
)

// Finding 4: a follower that hears heartbeats but lags the leader's commit
// index sends `default` reads to the leader.
func TestRead_defaultFromFollowerBehindCommitGoesToLeader(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	leader.create(t, "on-leader")
	hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL), lastContact: time.Millisecond, behind: true})
	r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader", nil)
	if r.code != http.StatusOK || r.header.Get(client.HeaderLastContact) != "0" {
		t.Fatalf("got %s %v: the lagging follower answered itself", r, r.header)
	}
	// stale reads stay local.
	doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader?consistency=stale", nil).
		wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'on-leader' not found"}`)
}

func TestConfig_maxStaleBelowHeartbeatRefused(t *testing.T) {
	t.Parallel()
	c := Config{Cluster: &fakeCluster{}, MaxStale: cluster.MinMaxStale - time.Millisecond}
	if err := c.Validate(); err == nil {
		t.Fatalf("max stale %s accepted; the node cannot honour less than %s", c.MaxStale, cluster.MinMaxStale)
	}
	c = Config{Cluster: &fakeCluster{}, MaxStale: cluster.MinMaxStale}
	if err := c.Validate(); err != nil {
		t.Fatalf("max stale %s refused: %v", c.MaxStale, err)
	}
}
