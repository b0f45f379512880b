package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/internal/testserver"
)

// Cluster identity (issue 10, finding 1): two clusters must never merge.
// Each test starts nodes that join only whom the test says, and checks the
// two safety properties of a merge:
//   - no two nodes that list each other in their raft configuration ever
//     hold different states at the same applied index;
//   - every acknowledged write stays readable on the cluster that
//     acknowledged it.

// newSoloCluster returns a harness cluster with no nodes; soloNode adds
// nodes to it that join nothing unless their args say so.
func newSoloCluster(t *testing.T) *testCluster {
	t.Helper()
	wsd, _ := testserver.Build(t)
	c := &testCluster{t: t, wsd: wsd, http: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(c.stopAll)
	return c
}

// soloNode adds (without starting) a node that joins only the addresses in
// its args; expect 0 leaves --bootstrap-expect unset.
func (c *testCluster) soloNode(id string, expect int, args ...string) *node {
	n := c.newNode(id, clusterOpts{deadServerTimeout: time.Minute})
	n.expect = expect
	// The harness joins every other node; an empty --join after it turns
	// that off, and args may set their own.
	n.extraArgs = append(append(n.extraArgs, "--join="), args...)
	c.nodes = append(c.nodes, n)
	return n
}

// watchNoMerge polls every node for the given time and fails the test as
// soon as two nodes that list each other as raft servers report different
// digests at the same applied index.
func (c *testCluster) watchNoMerge(window time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		sts := map[string]status{}
		lists := map[string][]string{}
		for _, n := range c.nodes {
			if !n.running() {
				continue
			}
			s, err := c.status(n)
			if err != nil {
				continue // starting or stopping
			}
			ms, err := c.members(n)
			if err != nil {
				continue
			}
			sts[n.id] = s
			for _, m := range ms {
				lists[n.id] = append(lists[n.id], m.ID)
			}
		}
		for a, sa := range sts {
			for b, sb := range sts {
				if a >= b || !slices.Contains(lists[a], b) || !slices.Contains(lists[b], a) {
					continue
				}
				if sa.FSMIndex == sb.FSMIndex && sa.Digest != sb.Digest {
					c.t.Fatalf("%s and %s list each other as raft servers and disagree at index %d: digests %.12s and %.12s (terms %d/%d, commit %d/%d)",
						a, b, sa.FSMIndex, sa.Digest, sb.Digest, sa.Term, sb.Term, sa.CommitIndex, sb.CommitIndex)
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mustRead fails unless the workspace is readable, linearizably, on n.
func (c *testCluster) mustRead(n *node, name string) wsBody {
	c.t.Helper()
	var w wsBody
	var err error
	eventually(c.t, 15*time.Second, fmt.Sprintf("read %s on %s", name, n.id), func() error {
		err = c.getJSON(n.url()+base+"/workspaces/"+name+"?consistency=linearizable", &w)
		return err
	})
	return w
}

// TestIdentity_twoClustersNeverMerge: A and B each bootstrap alone and
// take a write; B restarts with --join A. They must stay two clusters.
func TestIdentity_twoClustersNeverMerge(t *testing.T) {
	c := newSoloCluster(t)
	a := c.soloNode("a", 1)
	b := c.soloNode("b", 1)
	c.start(a)
	c.start(b)
	c.waitReady(a, b)
	wa := mustCreate(t, c, a, "on-a")
	wb := mustCreate(t, c, b, "on-b")

	c.stop(b)
	b.extraArgs = append(b.extraArgs, "--join="+a.gossipAddr())
	c.restart(b)
	c.waitReady(b)
	// Long enough for gossip to connect them, the leader to reconcile
	// (every second) and autopilot to promote a stable server (5s).
	c.watchNoMerge(10 * time.Second)

	for _, x := range []struct {
		n    *node
		name string
		resp response
	}{{a, "on-a", wa}, {b, "on-b", wb}} {
		var created wsBody
		if err := jsonBody(x.resp, &created); err != nil {
			t.Fatal(err)
		}
		if got := c.mustRead(x.n, x.name); got.ID != created.ID {
			t.Errorf("%s on %s: id %s, want the acknowledged %s", x.name, x.n.id, got.ID, created.ID)
		}
	}
	ma, _ := c.members(a)
	mb, _ := c.members(b)
	if len(ma) != 1 || len(mb) != 1 {
		t.Errorf("members: a lists %+v, b lists %+v; want each alone", ma, mb)
	}
}

// TestIdentity_lateJoinTargetIsJoinedNotForked: a fresh node is told to
// --join a node that only starts after the fresh node could have elected
// itself. It must wait and join that node's cluster, never bootstrap its
// own.
func TestIdentity_lateJoinTargetIsJoinedNotForked(t *testing.T) {
	c := newSoloCluster(t)
	a := c.soloNode("a", 1)
	f := c.soloNode("f", 0, "--join="+a.gossipAddr())
	c.start(f)
	eventually(t, 20*time.Second, "f answers HTTP", func() error {
		_, err := c.status(f)
		return err
	})
	// The scenario: the join target answers only after f's election
	// timeout (1s by default) has passed several times.
	time.Sleep(3 * time.Second)
	var wf *response
	if r, err := c.do(http.MethodPost, f.url()+base+"/workspaces", map[string]any{"name": "on-f"}); err == nil && r.code == http.StatusCreated {
		wf = &r // acknowledged by f alone: it must stay readable on f
	}

	c.start(a)
	c.waitReady(a)
	wa := mustCreate(t, c, a, "on-a")
	c.watchNoMerge(10 * time.Second)

	var created wsBody
	if err := jsonBody(wa, &created); err != nil {
		t.Fatal(err)
	}
	if got := c.mustRead(a, "on-a"); got.ID != created.ID {
		t.Errorf("on-a on a: id %s, want the acknowledged %s", got.ID, created.ID)
	}
	if wf != nil {
		if err := jsonBody(*wf, &created); err != nil {
			t.Fatal(err)
		}
		if got := c.mustRead(f, "on-f"); got.ID != created.ID {
			t.Errorf("on-f on f: id %s, want the acknowledged %s", got.ID, created.ID)
		}
	}
	// f joined a's cluster: it is ready, serves a's write and holds a's
	// state.
	c.waitReady(f)
	if got := c.mustRead(f, "on-a"); got.ID != created.ID {
		t.Errorf("on-a on f: id %s, want %s", got.ID, created.ID)
	}
	c.sameDigest(15 * time.Second)
}

func jsonBody(r response, v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("decoding %s: %w", r, err)
	}
	return nil
}

// TestIdentity_wipedMemberRebootstrappedAlone: a member of a 3-node
// cluster loses its data and is restarted on the same addresses as a new
// single-node cluster. The old cluster's leader still lists its raft
// address and keeps sending it entries; they must not overwrite the new
// cluster's log, and neither cluster may lose an acknowledged write.
func TestIdentity_wipedMemberRebootstrappedAlone(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	leader := c.leader()
	var n3 *node
	for _, n := range c.followers(leader) {
		n3 = n
	}
	wx := mustCreate(t, c, leader, "on-x")
	c.kill(n3)
	c.wipe(n3)
	n3.expect = 1
	n3.extraArgs = append(n3.extraArgs, "--join=")
	c.restart(n3)
	c.waitReady(n3)
	wy := mustCreate(t, c, n3, "on-y")
	c.watchNoMerge(10 * time.Second)

	for _, x := range []struct {
		n    *node
		name string
		resp response
	}{{leader, "on-x", wx}, {n3, "on-y", wy}} {
		var created wsBody
		if err := jsonBody(x.resp, &created); err != nil {
			t.Fatal(err)
		}
		if got := c.mustRead(x.n, x.name); got.ID != created.ID {
			t.Errorf("%s on %s: id %s, want the acknowledged %s", x.name, x.n.id, got.ID, created.ID)
		}
	}
	if ms, _ := c.members(n3); len(ms) != 1 {
		t.Errorf("the new cluster lists %+v, want n3 alone", ms)
	}
}

// TestIdentity_freshNodeJoinTargetsSpanTwoClusters: a fresh node is told
// to join nodes of two different clusters. It must end up in exactly one
// of them, holding that cluster's state, and neither cluster may lose an
// acknowledged write.
func TestIdentity_freshNodeJoinTargetsSpanTwoClusters(t *testing.T) {
	c := newSoloCluster(t)
	a := c.soloNode("a", 1)
	b := c.soloNode("b", 1)
	c.start(a)
	c.start(b)
	c.waitReady(a, b)
	wa := mustCreate(t, c, a, "on-a")
	wb := mustCreate(t, c, b, "on-b")
	f := c.soloNode("f", 0, "--join="+a.gossipAddr()+","+b.gossipAddr())
	c.start(f)
	c.waitReady(f)
	c.watchNoMerge(10 * time.Second)

	for _, x := range []struct {
		n    *node
		name string
		resp response
	}{{a, "on-a", wa}, {b, "on-b", wb}} {
		var created wsBody
		if err := jsonBody(x.resp, &created); err != nil {
			t.Fatal(err)
		}
		if got := c.mustRead(x.n, x.name); got.ID != created.ID {
			t.Errorf("%s on %s: id %s, want the acknowledged %s", x.name, x.n.id, got.ID, created.ID)
		}
	}
	fs, err := c.status(f)
	if err != nil {
		t.Fatal(err)
	}
	as, _ := c.status(a)
	bs, _ := c.status(b)
	var home *node
	switch fs.ClusterID {
	case as.ClusterID:
		home = a
	case bs.ClusterID:
		home = b
	default:
		t.Fatalf("f is in cluster %q; a is %q, b is %q", fs.ClusterID, as.ClusterID, bs.ClusterID)
	}
	for _, n := range []*node{a, b} {
		ms, err := c.members(n)
		if err != nil {
			t.Fatal(err)
		}
		lists := slices.ContainsFunc(ms, func(m member) bool { return m.ID == "f" })
		if n == home && !lists {
			t.Errorf("f reports cluster %s but %s does not list it: %+v", fs.ClusterID, n.id, ms)
		}
	}
	name := "on-" + home.id
	var got wsBody
	if err := c.getJSON(f.url()+base+"/workspaces/"+name+"?consistency=linearizable", &got); err != nil {
		t.Errorf("f does not serve its cluster's %s: %v", name, err)
	}
}
