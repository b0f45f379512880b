package cluster

import (
	"context"
	"errors"
	"github.com/wsd-dev/wsd/internal/testserver"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/wsd-dev/wsd/fsm"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// bolt and raft's transport stop asynchronously after Close.
		goleak.IgnoreTopFunction("github.com/hashicorp/raft.(*NetworkTransport).listen"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		// A waiter on a raft future that raft abandoned at shutdown (see
		// Node.await): one per proposal in flight at Close, by design.
		goleak.IgnoreAnyFunction("github.com/wsd-dev/wsd/cluster.(*Node).await.func1"),
		goleak.IgnoreAnyFunction("github.com/wsd-dev/wsd/cluster.awaitFor.func1"),
		goleak.IgnoreAnyFunction("github.com/wsd-dev/wsd/cluster.(*Node).propose.func1"),
		// The future such a waiter blocks in.
		goleak.IgnoreAnyFunction("github.com/hashicorp/raft.(*deferError).Error"),
	)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	return testserver.FreeAddr(t)
}

func openNode(t *testing.T, dir, raftAddr string) *Node {
	t.Helper()
	cfg := DefaultConfig(dir)
	cfg.NodeID = "n1"
	cfg.RaftAddr = raftAddr
	cfg.HTTPAdvertise = "http://127.0.0.1:1"
	n, err := Open(cfg, fsm.New(fsm.Options{}))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return n
}

func waitReady(t *testing.T, n *Node) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !n.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("node not ready: %+v", n.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func create(t *testing.T, n *Node, name string) fsm.Result {
	t.Helper()
	r, err := n.Apply(context.Background(), &fsm.CreateWorkspace{
		ID: uuid.NewString(), Name: name, At: time.Now().UTC().Truncate(time.Microsecond),
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return r
}

func TestNode_singleNode_bootstrapInitRestart(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	n := openNode(t, dir, addr)
	waitReady(t, n)
	st := n.FSM().State()
	for _, b := range []string{fsm.DefaultWorkspace, fsm.SystemWorkspace} {
		if _, ok := st.Workspace(b); !ok {
			t.Fatalf("built-in %q missing after bootstrap", b)
		}
	}
	if !n.IsLeader() {
		t.Fatal("single node is not leader")
	}
	r := create(t, n, "ml-team")
	if r.Index == 0 || r.Workspace == nil || r.Workspace.Name != "ml-team" {
		t.Fatalf("create result = %+v", r)
	}
	_, err := n.Apply(context.Background(), &fsm.CreateWorkspace{ID: uuid.NewString(), Name: "ml-team", At: time.Now().UTC()})
	if !errors.Is(err, fsm.ErrAlreadyExists) {
		t.Fatalf("duplicate create: err = %v, want ErrAlreadyExists", err)
	}
	before := n.FSM().State()
	digest, ws := before.Digest(), *mustWorkspace(t, before, "ml-team")
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	n2 := openNode(t, dir, addr)
	defer n2.Close()
	waitReady(t, n2)
	after := n2.FSM().State()
	got := *mustWorkspace(t, after, "ml-team")
	if got.ID != ws.ID || !got.CreatedAt.Equal(ws.CreatedAt) {
		t.Fatalf("after restart workspace = %+v, want %+v", got, ws)
	}
	if after.Digest() != digest {
		t.Fatalf("digest after restart differs: got %s want %s", after.Digest(), digest)
	}
	if after.WorkspaceCount() != 3 {
		t.Fatalf("workspace count = %d, want 3 (no second init, no re-bootstrap)", after.WorkspaceCount())
	}
}

func mustWorkspace(t *testing.T, s *fsm.State, name string) *fsm.Workspace {
	t.Helper()
	w, ok := s.Workspace(name)
	if !ok {
		t.Fatalf("workspace %q missing", name)
	}
	return w
}

func TestNode_readIndex_leader(t *testing.T) {
	n := openNode(t, t.TempDir(), freeAddr(t))
	defer n.Close()
	waitReady(t, n)
	r := create(t, n, "a")
	idx, err := n.ReadIndex(context.Background())
	if err != nil {
		t.Fatalf("ReadIndex: %v", err)
	}
	if idx < r.Index {
		t.Fatalf("ReadIndex = %d, want ≥ %d (the acknowledged write)", idx, r.Index)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := n.WaitApplied(ctx, idx+1000); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitApplied far ahead: err = %v, want deadline exceeded", err)
	}
}

func TestNode_snapshotAndRestoreFromDisk(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	n := openNode(t, dir, addr)
	waitReady(t, n)
	for i := range 50 {
		create(t, n, "ws-"+strconv.Itoa(i))
	}
	if err := n.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	create(t, n, "after-snapshot")
	st := n.FSM().State()
	digest, idx := st.Digest(), st.Index()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n2 := openNode(t, dir, addr)
	defer n2.Close()
	waitReady(t, n2)
	// Ready allows a small lag behind the commit index: wait for the
	// replay to reach what the first run had applied.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n2.WaitApplied(ctx, idx); err != nil {
		t.Fatalf("replay did not reach index %d: %v", idx, err)
	}
	if got := n2.FSM().State().Digest(); got != digest {
		t.Fatalf("digest after snapshot+log replay = %s, want %s", got, digest)
	}
}

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"no id", func(c *Config) { c.NodeID = "" }, false},
		{"no dir", func(c *Config) { c.DataDir = "" }, false},
		{"join only without gossip", func(c *Config) { c.BootstrapExpect = 0 }, false},
		{"join only", func(c *Config) { c.BootstrapExpect = 0; c.GossipAddr = "127.0.0.1:0" }, true},
		{"negative expect", func(c *Config) { c.BootstrapExpect = -1 }, false},
		{"bad raft addr", func(c *Config) { c.RaftAddr = "nope" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig("/tmp/x")
			c.NodeID = "n"
			tt.mod(&c)
			err := c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	c := DefaultConfig("/tmp/x")
	c.NodeID = "n"
	c.RaftAddr = ":9300"
	if err := c.Validate(); err != nil || c.AdvertiseRaft != "127.0.0.1:9300" {
		t.Fatalf("wildcard raft addr advertised as %q (err %v), want 127.0.0.1:9300", c.AdvertiseRaft, err)
	}
}
