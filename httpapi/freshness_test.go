package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
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

// A leader behind its own commit index (just restarted or elected)
// answers a `default` read after its read index, not from whatever it
// holds, and does not forward it to itself.
func TestRead_defaultOnLaggingLeaderWaitsForReadIndex(t *testing.T) {
	t.Parallel()
	f := &fakeCluster{fsm: fsm.New(fsm.Options{}), isLeader: always(true), behind: true}
	var readIndexCalls atomic.Int32
	rc := &countingReadIndex{fakeCluster: f, calls: &readIndexCalls}
	cfg := DefaultConfig()
	cfg.Cluster = rc
	api, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(func() { hs.Close(); _ = api.Close() })
	r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces", nil)
	if r.code != http.StatusOK || readIndexCalls.Load() != 1 {
		t.Fatalf("got %s after %d read index calls, want 200 after 1", r, readIndexCalls.Load())
	}
}

type countingReadIndex struct {
	*fakeCluster
	calls *atomic.Int32
}

func (c *countingReadIndex) ReadIndex(ctx context.Context) (uint64, error) {
	c.calls.Add(1)
	return c.fakeCluster.ReadIndex(ctx)
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
