package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

type wsBody struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   string  `json:"created_at"`
}

type listBody struct {
	Data       []wsBody `json:"data"`
	Pagination struct {
		TotalResults int `json:"total_results"`
	} `json:"pagination"`
}

func mustCreate(t *testing.T, c *testCluster, n *node, name string) response {
	t.Helper()
	r, err := c.do(http.MethodPost, n.url()+base+"/workspaces", map[string]any{"name": name})
	if err != nil || r.code != http.StatusCreated {
		t.Fatalf("create %s via %s: %v %v", name, n.id, r, err)
	}
	return r
}

func TestCluster_formsFromJoinAlone(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	leader := c.leader()
	ms, err := c.members(leader)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 {
		t.Fatalf("members = %+v, want 3", ms)
	}
	for _, m := range ms {
		if m.Suffrage != "voter" || m.HTTPAddr == "" {
			t.Fatalf("member %+v: want a voter with an http address", m)
		}
	}
	c.sameDigest(10 * time.Second)
	for _, n := range c.nodes {
		var l listBody
		if err := c.getJSON(n.url()+base+"/workspaces?sort=name&consistency=stale", &l); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range l.Data {
			names = append(names, w.Name)
		}
		if fmt.Sprint(names) != "[default system]" || l.Pagination.TotalResults != 2 {
			t.Fatalf("%s lists %v (total %d), want exactly the two built-ins", n.id, names, l.Pagination.TotalResults)
		}
	}
}

func TestCluster_writeThroughFollowerVisibleEverywhere(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	leader := c.leader()
	fs := c.followers(leader)
	r := mustCreate(t, c, fs[0], "via-follower")
	idx := r.header.Get("X-Wsd-Index")
	if idx == "" {
		t.Fatal("create response has no X-Wsd-Index")
	}
	var created wsBody
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	// Read-your-writes on the other follower with X-Wsd-Min-Index.
	got, err := c.do(http.MethodGet, fs[1].url()+base+"/workspaces/via-follower", nil, "X-Wsd-Min-Index", idx)
	if err != nil || got.code != http.StatusOK {
		t.Fatalf("min-index read on %s: %v %v", fs[1].id, got, err)
	}
	var w wsBody
	if err := json.Unmarshal(got.body, &w); err != nil || w.ID != created.ID {
		t.Fatalf("read %+v, want id %s", w, created.ID)
	}
	gi, _ := strconv.ParseUint(got.header.Get("X-Wsd-Index"), 10, 64)
	wi, _ := strconv.ParseUint(idx, 10, 64)
	if gi < wi {
		t.Fatalf("read answered at index %d, before the write's %d", gi, wi)
	}
	// A linearizable read on every node sees it, with no hint.
	for _, n := range c.nodes {
		lr, err := c.do(http.MethodGet, n.url()+base+"/workspaces/via-follower?consistency=linearizable", nil)
		if err != nil || lr.code != http.StatusOK {
			t.Fatalf("linearizable read on %s: %v %v", n.id, lr, err)
		}
	}
	// Every node converges on the same state.
	c.sameDigest(10 * time.Second)
}

func TestCluster_concurrentCreatesOfOneName(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	c.leader()
	const n = 50
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := c.nodes[i%len(c.nodes)]
			r, err := c.do(http.MethodPost, target.url()+base+"/workspaces", map[string]any{"name": "contested", "description": strconv.Itoa(i)})
			if err != nil {
				codes[i] = -1
				return
			}
			codes[i] = r.code
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, code := range codes {
		count[code]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("status counts = %v, want exactly one 201 and %d 409", count, n-1)
	}
}

func TestCluster_leaderKillFailoverAndCatchUp(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	old := c.leader()
	mustCreate(t, c, old, "before-kill")
	c.kill(old)
	start := time.Now()
	var survivors []*node
	for _, n := range c.nodes {
		if n != old {
			survivors = append(survivors, n)
		}
	}
	// Writes succeed through either survivor once a new leader is elected.
	var firstWrite time.Duration
	eventually(t, 30*time.Second, "a write after the leader kill", func() error {
		r, err := c.do(http.MethodPost, survivors[0].url()+base+"/workspaces", map[string]any{"name": "after-kill"})
		if err != nil {
			return err
		}
		if r.code != http.StatusCreated {
			return fmt.Errorf("%v", r)
		}
		firstWrite = time.Since(start)
		return nil
	})
	t.Logf("failover: leader kill → first successful write in %v", firstWrite)
	mustCreate(t, c, survivors[1], "after-kill-2")
	newLeader := c.leader()
	if newLeader == old {
		t.Fatal("killed node is still the leader")
	}
	c.restart(old)
	c.waitReady(old)
	c.sameDigest(20 * time.Second)
	var w wsBody
	if err := c.getJSON(old.url()+base+"/workspaces/after-kill-2?consistency=stale", &w); err != nil {
		t.Fatalf("restarted old leader lacks a write made while it was down: %v", err)
	}
}

func TestCluster_killAllThenRestartAll(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	l := c.leader()
	for i := range 20 {
		mustCreate(t, c, c.nodes[i%3], "ws-"+strconv.Itoa(i))
	}
	// Make sure every node has everything before the crash so the digest
	// comparison below is meaningful.
	before := c.sameDigest(10 * time.Second)
	_ = l
	for _, n := range c.nodes {
		c.kill(n)
	}
	for _, n := range c.nodes {
		c.restart(n)
	}
	c.waitReady(c.nodes...)
	c.leader()
	if after := c.sameDigest(20 * time.Second); after != before {
		t.Fatalf("digest after full crash = %s, before = %s", after, before)
	}
	mustCreate(t, c, c.nodes[0], "after-restart")
}

func TestCluster_quorumLoss(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3, extraArgs: []string{"--max-stale=1s"}})
	l := c.leader()
	mustCreate(t, c, l, "pre")
	c.sameDigest(10 * time.Second)
	fs := c.followers(l)
	c.kill(l)
	c.kill(fs[0])
	alone := fs[1]
	start := time.Now()
	r, err := c.do(http.MethodPost, alone.url()+base+"/workspaces", map[string]any{"name": "no-quorum"})
	if err != nil {
		t.Fatal(err)
	}
	if r.code != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("write without quorum = %v (Retry-After %q), want 503 with Retry-After", r, r.header.Get("Retry-After"))
	}
	waited := time.Since(start)
	t.Logf("write without quorum answered 503 after %v", waited)
	if waited < 2500*time.Millisecond {
		t.Fatalf("write without quorum answered after %v, want it to wait for a leader (--leader-wait=3s) first", waited)
	}
	// Stale reads still answer from the local state.
	sr, err := c.do(http.MethodGet, alone.url()+base+"/workspaces/pre?consistency=stale", nil)
	if err != nil || sr.code != http.StatusOK {
		t.Fatalf("stale read without quorum: %v %v", sr, err)
	}
	// Default reads: once the leader has been silent longer than max-stale
	// they go to the leader, and with none they get 503.
	time.Sleep(1500 * time.Millisecond)
	dr, err := c.do(http.MethodGet, alone.url()+base+"/workspaces/pre", nil)
	if err != nil || dr.code != http.StatusServiceUnavailable {
		t.Fatalf("default read without a leader = %v %v, want 503", dr, err)
	}
	// Linearizable reads cannot be served either.
	lr, err := c.do(http.MethodGet, alone.url()+base+"/workspaces/pre?consistency=linearizable", nil)
	if err != nil || lr.code != http.StatusServiceUnavailable {
		t.Fatalf("linearizable read without quorum = %v %v, want 503", lr, err)
	}
	// Quorum back: writes work again.
	c.restart(l)
	c.waitReady(l, alone)
	eventually(t, 30*time.Second, "write after quorum returns", func() error {
		r, err := c.do(http.MethodPost, alone.url()+base+"/workspaces", map[string]any{"name": "quorum-back"})
		if err != nil {
			return err
		}
		if r.code != http.StatusCreated {
			return fmt.Errorf("%v", r)
		}
		return nil
	})
}

func memberIDs(ms []member) string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID+":"+m.Suffrage)
	}
	sort.Strings(ids)
	return fmt.Sprint(ids)
}

func TestCluster_scaleUpAndDown(t *testing.T) {
	opts := clusterOpts{size: 3, deadServerTimeout: 4 * time.Second}
	c := newCluster(t, opts)
	c.leader()
	n4 := c.add("n4", opts)
	n5 := c.add("n5", opts)
	eventually(t, 60*time.Second, "5 voters", func() error {
		ms, err := c.members(c.leader())
		if err != nil {
			return err
		}
		if want := "[n1:voter n2:voter n3:voter n4:voter n5:voter]"; memberIDs(ms) != want {
			return fmt.Errorf("members %s, want %s", memberIDs(ms), want)
		}
		return nil
	})
	c.waitReady(n4, n5)
	mustCreate(t, c, n5, "written-via-new-node")

	// Graceful leave of two nodes, one of them possibly the leader.
	for _, n := range []*node{c.leader(), n4} {
		r, err := c.do(http.MethodPost, n.url()+"/v1/cluster/leave", nil)
		if err != nil || r.code != http.StatusOK {
			t.Fatalf("leave %s: %v %v", n.id, r, err)
		}
		select {
		case <-n.done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s still running 20s after leaving", n.id)
		}
		c.wait(n)
	}
	eventually(t, 30*time.Second, "3 voters after two leaves", func() error {
		ms, err := c.members(c.leader())
		if err != nil {
			return err
		}
		if len(ms) != 3 {
			return fmt.Errorf("members %s", memberIDs(ms))
		}
		return nil
	})
	// A killed node is removed after the dead-server timeout, and the
	// remaining two keep quorum and take writes.
	l := c.leader()
	victim := c.followers(l)[0]
	c.kill(victim)
	eventually(t, 60*time.Second, "dead server removed", func() error {
		ms, err := c.members(c.leader())
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.ID == victim.id {
				return fmt.Errorf("members still %s", memberIDs(ms))
			}
		}
		return nil
	})
	mustCreate(t, c, c.leader(), "after-cleanup")
}

func TestCluster_wipedNodeRejoins(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	l := c.leader()
	for i := range 10 {
		mustCreate(t, c, l, "keep-"+strconv.Itoa(i))
	}
	victim := c.followers(l)[0]
	c.kill(victim)
	c.wipe(victim)
	c.restart(victim)
	c.waitReady(victim)
	c.sameDigest(30 * time.Second)
	var w wsBody
	if err := c.getJSON(victim.url()+base+"/workspaces/keep-9?consistency=stale", &w); err != nil {
		t.Fatalf("wiped node did not catch up: %v", err)
	}
}
