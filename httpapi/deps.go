package httpapi

import (
	"context"
	"time"

	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

// Cluster is what the HTTP layer needs from the replication layer. It is
// declared here, by its user; *cluster.Node implements it.
type Cluster interface {
	// Apply proposes a command on this node (the leader) and returns the
	// FSM's result; see cluster.Node.Apply for the error classes.
	Apply(ctx context.Context, c fsm.Command) (fsm.Result, error)
	IsLeader() bool
	// Leader is the current leader; Peer.HTTPAddr is its base URL.
	Leader() (cluster.Peer, bool)
	// LastContact is the time since the leader was last heard from; 0 on
	// the leader.
	LastContact() time.Duration
	// ReadIndex (leader only) returns an index covering every write
	// acknowledged before the call.
	ReadIndex(ctx context.Context) (uint64, error)
	// WaitApplied waits until the local FSM has applied idx.
	WaitApplied(ctx context.Context, idx uint64) (*fsm.State, error)
	Ready() bool
	Status() cluster.Status
	Members() ([]cluster.Member, error)
	// FSM gives the local state machine: FSM().State() is the newest
	// applied state, lock-free.
	FSM() *fsm.FSM
}

var _ Cluster = (*cluster.Node)(nil)
