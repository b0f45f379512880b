package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/fsm"
)

// startServers opens n nodes that find each other through gossip alone and
// bootstrap together with BootstrapExpect n.
func startServers(t *testing.T, count int) []*Node {
	t.Helper()
	gossipAddrs := make([]string, count)
	for i := range gossipAddrs {
		gossipAddrs[i] = freeAddr(t)
	}
	nodes := make([]*Node, count)
	for i := range nodes {
		cfg := DefaultConfig(t.TempDir())
		cfg.NodeID = fmt.Sprintf("n%d", i+1)
		cfg.RaftAddr = freeAddr(t)
		cfg.HTTPAdvertise = "http://127.0.0.1:1"
		cfg.GossipAddr = gossipAddrs[i]
		cfg.GossipLocal = true
		cfg.Join = []string{gossipAddrs[(i+1)%count]}
		cfg.BootstrapExpect = count
		n, err := Open(cfg, fsm.New(fsm.Options{}))
		if err != nil {
			t.Fatalf("Open %s: %v", cfg.NodeID, err)
		}
		nodes[i] = n
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.Close()
		}
	})
	return nodes
}

func waitLeader(t *testing.T, nodes []*Node) *Node {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var leaders []*Node
		for _, n := range nodes {
			if n.IsLeader() {
				leaders = append(leaders, n)
			}
		}
		if len(leaders) == 1 && leaders[0].FSM().State().Initialized() {
			return leaders[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no single initialised leader within 20s")
	return nil
}

func TestCluster_bootstrapExpect_threeNodes(t *testing.T) {
	nodes := startServers(t, 3)
	leader := waitLeader(t, nodes)
	members, err := leader.Members()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 3 {
		t.Fatalf("members = %+v, want 3", members)
	}
	for _, m := range members {
		if m.Suffrage != "voter" {
			t.Fatalf("member %s is %s, want voter (bootstrapped together)", m.ID, m.Suffrage)
		}
	}
	r := create(t, leader, "replicated")
	for _, n := range nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := n.WaitApplied(ctx, r.Index)
		cancel()
		if err != nil {
			t.Fatalf("%s: WaitApplied(%d): %v", n.ID(), r.Index, err)
		}
		if _, ok := st.Workspace("replicated"); !ok {
			t.Fatalf("%s: workspace missing at index %d", n.ID(), st.Index())
		}
		if got := st.WorkspaceCount(); got != 3 {
			t.Fatalf("%s: %d workspaces, want 3 (built-ins created once)", n.ID(), got)
		}
		if p, ok := n.Leader(); !ok || p.ID != leader.ID() {
			t.Fatalf("%s: leader = %+v (known %v), want %s", n.ID(), p, ok, leader.ID())
		}
	}
	// Followers refuse to propose: the HTTP layer forwards instead.
	for _, n := range nodes {
		if n == leader {
			continue
		}
		if _, err := n.ReadIndex(context.Background()); err != ErrNotLeader {
			t.Fatalf("%s: follower ReadIndex err = %v, want ErrNotLeader", n.ID(), err)
		}
	}
}
