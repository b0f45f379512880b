package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/fsm"
)

// stallObserver blocks the FSM goroutine of its node while stalled: raft
// hands it no further entries, yet heartbeats keep LastContact fresh.
type stallObserver struct {
	mu      sync.Mutex
	stalled bool
	resume  chan struct{}
}

func (o *stallObserver) ObserveApply(int, time.Duration) {
	o.mu.Lock()
	stalled, resume := o.stalled, o.resume
	o.mu.Unlock()
	if stalled {
		<-resume
	}
}

func (o *stallObserver) stall() {
	o.mu.Lock()
	o.stalled, o.resume = true, make(chan struct{})
	o.mu.Unlock()
}

func (o *stallObserver) release() {
	o.mu.Lock()
	if o.stalled {
		o.stalled = false
		close(o.resume)
	}
	o.mu.Unlock()
}

// Finding 4: a follower whose FSM is stuck keeps hearing heartbeats, so on
// the base commit (`default` reads served while LastContact ≤ max-stale)
// it served arbitrarily old data and stayed ready. It must report itself
// neither fresh nor ready while it lags the leader's commit index by more
// than MaxApplyLag, and recover once it catches up.
func TestNode_followerFreshnessFollowsApplyNotHeartbeats(t *testing.T) {
	gossipAddrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	obs := make([]*stallObserver, 3)
	nodes := make([]*Node, 3)
	for i := range nodes {
		cfg := DefaultConfig(t.TempDir())
		cfg.NodeID = fmt.Sprintf("n%d", i+1)
		cfg.RaftAddr = freeAddr(t)
		cfg.HTTPAdvertise = "http://127.0.0.1:1"
		cfg.GossipAddr = gossipAddrs[i]
		cfg.GossipLocal = true
		cfg.Join = []string{gossipAddrs[(i+1)%3]}
		cfg.BootstrapExpect = 3
		obs[i] = &stallObserver{}
		n, err := Open(cfg, fsm.New(fsm.Options{Observer: obs[i]}))
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = n
	}
	t.Cleanup(func() {
		for i, n := range nodes {
			obs[i].release()
			n.Close()
		}
	})
	leader := waitLeader(t, nodes)
	var fi int
	for i, n := range nodes {
		if n != leader {
			fi = i
			break
		}
	}
	follower := nodes[fi]
	r := create(t, leader, "first")
	waitFor(t, "follower fresh and ready", func() bool {
		return follower.FSM().State().Index() >= r.Index && follower.FreshEnough(MinMaxStale) && follower.Ready()
	})

	obs[fi].stall()
	// One more write reaches the stalled FSM and blocks it there.
	create(t, leader, "blocks-the-follower")
	for i := range MaxApplyLag + 8 {
		create(t, leader, fmt.Sprintf("w%d", i))
	}
	waitFor(t, "follower to learn the leader's commit index", func() bool {
		lag, ok := follower.ApplyLag()
		return ok && lag > MaxApplyLag
	})
	if lc := follower.LastContact(); lc >= MinMaxStale {
		t.Fatalf("LastContact = %s: the test needs fresh heartbeats", lc)
	}
	if follower.FreshEnough(MinMaxStale) {
		t.Fatal("follower stuck behind the leader's commit index reports itself fresh enough for default reads")
	}
	if follower.Ready() {
		t.Fatal("follower stuck behind the leader's commit index reports itself ready")
	}

	obs[fi].release()
	waitFor(t, "follower fresh and ready again", func() bool {
		return follower.FreshEnough(MinMaxStale) && follower.Ready()
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// Finding 3 through the read path: a restarted (single-node) leader holds
// nothing of its log until it has replayed it. Whenever it reports itself
// fresh enough for `default` reads, or ready, its state must already
// reflect every write acknowledged before the restart.
func TestNode_restartedLeaderFreshOnlyWhenCaughtUp(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	n := openNode(t, dir, addr)
	waitReady(t, n)
	var last uint64
	for i := range 100 {
		last = create(t, n, fmt.Sprintf("ws-%d", i)).Index
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n2 := openNode(t, dir, addr)
	defer n2.Close()
	waitFor(t, "restarted node fresh enough", func() bool {
		fresh, ready := n2.FreshEnough(MinMaxStale), n2.Ready()
		if (fresh || ready) && n2.FSM().State().Index() < last {
			t.Fatalf("fresh %v ready %v at FSM index %d, before the acknowledged write at %d", fresh, ready, n2.FSM().State().Index(), last)
		}
		return fresh && ready
	})
}
