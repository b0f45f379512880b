package cluster

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

func waitClusterID(t *testing.T, n *Node) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for n.FSM().State().ClusterID() == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no cluster id recorded: %+v", n.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n.FSM().State().ClusterID()
}

func readIDFile(t *testing.T, dir string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, clusterIDFile))
		if err == nil {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster id file: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNode_clusterIdentity: the first leader records a cluster id and the
// node's auth mode; the id is stored in the data dir, shown in the status,
// and survives restarts.
func TestNode_clusterIdentity(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	n := openNode(t, dir, addr)
	waitReady(t, n)
	id := waitClusterID(t, n)
	if !fsm.ValidClusterID(id) || n.FSM().State().AuthMode() != fsm.AuthNone {
		t.Fatalf("settings %q/%q, want a UUID and mode none", id, n.FSM().State().AuthMode())
	}
	if got := readIDFile(t, dir); got != id {
		t.Fatalf("data dir cluster id %q, want %q", got, id)
	}
	if s := n.Status(); s.ClusterID != id || !s.Ready {
		t.Fatalf("status %+v, want cluster id %s and ready", s, id)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n2 := openNode(t, dir, addr)
	defer n2.Close()
	if got := n2.ClusterID(); got != id { // from the file, before the log is replayed
		t.Errorf("cluster id right after restart %q, want %q", got, id)
	}
	waitReady(t, n2)
	if got := n2.FSM().State().ClusterID(); got != id {
		t.Errorf("cluster id after restart %q, want %q", got, id)
	}
}

// TestNode_authModeMismatch: a node restarted with another auth mode than
// the one its cluster recorded refuses to serve, and a write without a
// caller, which is what it would propose, is refused by the state machine.
func TestNode_authModeMismatch(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	cfg := DefaultConfig(dir)
	cfg.NodeID, cfg.RaftAddr, cfg.HTTPAdvertise, cfg.AuthMode = "n1", addr, "http://127.0.0.1:1", "oidc"
	n, err := Open(cfg, fsm.New(fsm.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, n)
	waitClusterID(t, n)
	if n.FSM().State().AuthMode() != "oidc" || n.Admission() != nil {
		t.Fatalf("auth mode %q, admission %v", n.FSM().State().AuthMode(), n.Admission())
	}
	n.Close()

	cfg.AuthMode = "none"
	n2, err := Open(cfg, fsm.New(fsm.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	deadline := time.Now().Add(15 * time.Second)
	for n2.Admission() == nil || !n2.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatalf("admission %v, leader %v", n2.Admission(), n2.IsLeader())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := n2.Admission(); !errors.Is(err, ErrAuthModeMismatch) || !strings.Contains(err.Error(), "oidc") {
		t.Fatalf("Admission: %v, want ErrAuthModeMismatch naming oidc", err)
	}
	if n2.Ready() {
		t.Errorf("Ready with a mismatched auth mode")
	}
	_, err = n2.Apply(context.Background(), &fsm.CreateWorkspace{ID: uuid.NewString(), Name: "anon", At: time.Now().UTC()})
	if !errors.Is(err, fsm.ErrForbidden) {
		t.Errorf("write without a caller: %v, want forbidden", err)
	}
}

// TestNode_restoreKeepsClusterSettings: a backup of another cluster (or of
// one without settings) brings its data but not its identity or auth mode.
func TestNode_restoreKeepsClusterSettings(t *testing.T) {
	n := openNode(t, t.TempDir(), freeAddr(t))
	defer n.Close()
	waitReady(t, n)
	id := waitClusterID(t, n)

	other := fsm.New(fsm.Options{})
	apply := func(i uint64, c fsm.Command) {
		b, err := fsm.Encode(c)
		if err != nil {
			t.Fatal(err)
		}
		if r := other.Apply(rlog(i, b)).(fsm.Result); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	apply(1, &fsm.Init{DefaultID: uuid.NewString(), SystemID: uuid.NewString(), At: at})
	apply(2, &fsm.CreateWorkspace{ID: uuid.NewString(), Name: "from-backup", At: at})
	foreignID := uuid.NewString()
	for name, st := range map[string]*fsm.State{
		"without settings": other.State(),
		"another cluster":  other.State().WithClusterSettings(foreignID, "oidc"),
	} {
		var buf bytes.Buffer
		if err := st.WriteSnapshot(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Restore(context.Background(), &buf, RestoreOptions{}); err != nil {
			t.Fatalf("%s: Restore: %v", name, err)
		}
		got := n.FSM().State()
		if _, ok := got.Workspace("from-backup"); !ok {
			t.Errorf("%s: the backup's data is missing", name)
		}
		if got.ClusterID() != id || got.AuthMode() != fsm.AuthNone || n.Admission() != nil {
			t.Errorf("%s: settings after restore %q/%q (admission %v), want the cluster's %s/none", name, got.ClusterID(), got.AuthMode(), n.Admission(), id)
		}
	}
}

func TestAdmissible(t *testing.T) {
	ours, theirs := uuid.NewString(), uuid.NewString()
	n := &Node{fsm: fsm.New(fsm.Options{}), knownID: ours}
	tests := []struct {
		name     string
		meta     Meta
		inConfig bool
		ok       bool
	}{
		{"fresh node", Meta{ID: "f"}, false, true},
		{"fresh node that knows our id", Meta{ID: "f", ClusterID: ours}, false, true},
		{"ours, bootstrapped, removed earlier", Meta{ID: "f", ClusterID: ours, Bootstrapped: true}, false, true},
		{"another cluster", Meta{ID: "f", ClusterID: theirs, Bootstrapped: true}, false, false},
		{"another cluster, claims no state", Meta{ID: "f", ClusterID: theirs}, false, false},
		{"state without id", Meta{ID: "f", Bootstrapped: true}, false, false},
		{"member, new address, no id yet", Meta{ID: "f", Bootstrapped: true}, true, true},
		{"member now of another cluster", Meta{ID: "f", ClusterID: theirs, Bootstrapped: true}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why := n.admissible(tt.meta, tt.inConfig)
			if (why == "") != tt.ok {
				t.Errorf("admissible(%+v, inConfig %v) = %q, want ok %v", tt.meta, tt.inConfig, why, tt.ok)
			}
		})
	}
	// A leader whose cluster has not recorded its id yet refuses members
	// of any identified cluster.
	n = &Node{fsm: fsm.New(fsm.Options{})}
	if why := n.admissible(Meta{ID: "f", ClusterID: theirs}, false); why == "" {
		t.Errorf("a cluster without id admitted a member of %s", theirs)
	}
}

func rlog(i uint64, data []byte) *raft.Log {
	return &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: data}
}

// TestNode_authTurnedOn: a cluster recorded without authentication whose
// servers all restart with it turns it on; it never turns it off again.
func TestNode_authTurnedOn(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	cfg := DefaultConfig(dir)
	cfg.NodeID, cfg.RaftAddr, cfg.HTTPAdvertise = "n1", addr, "http://127.0.0.1:1"
	open := func(mode string) *Node {
		t.Helper()
		cfg.AuthMode = mode
		n, err := Open(cfg, fsm.New(fsm.Options{}))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitMode := func(n *Node, want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for n.FSM().State().AuthMode() != want {
			if time.Now().After(deadline) {
				t.Fatalf("auth mode %q, want %q", n.FSM().State().AuthMode(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	n := open("none")
	waitReady(t, n)
	waitMode(n, fsm.AuthNone)
	id := n.FSM().State().ClusterID()
	n.Close()

	n = open("oidc")
	waitMode(n, "oidc")
	waitReady(t, n)
	if got := n.FSM().State().ClusterID(); got != id {
		t.Errorf("cluster id %q after turning auth on, want %q", got, id)
	}
	n.Close()

	n = open("none")
	defer n.Close()
	deadline := time.Now().Add(15 * time.Second)
	for !n.IsLeader() || n.Admission() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("leader %v admission %v: want a leader refusing to serve", n.IsLeader(), n.Admission())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := n.FSM().State().AuthMode(); got != "oidc" {
		t.Errorf("auth mode %q after a restart without auth, want oidc kept", got)
	}
}
