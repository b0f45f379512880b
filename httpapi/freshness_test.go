package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

// Finding 4: a follower that hears heartbeats but lags the leader's commit
// index does not answer a `default` read from its own state: it takes the
// leader's read index first (as a linearizable read does). A fresh one
// answers at once.
func TestRead_defaultFromFollowerBehindCommitUsesReadIndex(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	leader.create(t, "on-leader")
	for _, behind := range []bool{false, true} {
		f := followerOf(leader, time.Millisecond)
		f.behind = behind
		var calls atomic.Int32
		readIndex := f.readIndexFn
		f.readIndexFn = func(ctx context.Context) (uint64, error) { calls.Add(1); return readIndex(ctx) }
		hs, _ := newFakeServer(t, f)
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader", nil)
		want := int32(0)
		if behind {
			want = 1
		}
		if r.code != http.StatusOK || calls.Load() != want {
			t.Fatalf("behind %v: got %s after %d read index calls, want 200 after %d", behind, r, calls.Load(), want)
		}
		// stale reads stay local whatever the lag.
		calls.Store(0)
		if r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader?consistency=stale", nil); r.code != http.StatusOK || calls.Load() != 0 {
			t.Fatalf("stale read: got %s after %d read index calls", r, calls.Load())
		}
	}
}

// A leader behind its own commit index (just restarted or elected)
// answers a `default` read after its read index, not from whatever it
// holds.
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

func (c *countingReadIndex) LinearizableIndex(ctx context.Context) (uint64, error) {
	c.calls.Add(1)
	return c.fakeCluster.LinearizableIndex(ctx)
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
