package httpapi

import (
	"context"
	"io"
	"time"

	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

// Cluster is what the HTTP layer needs from the replication layer. It is
// declared here, by its user; *cluster.Node implements it.
type Cluster interface {
	// Apply proposes a command wherever the leader is (locally, or sent
	// to the leader over the cluster's peer service) and returns the FSM's
	// result. ctx's deadline is the write's deadline: nothing is proposed
	// after it and Apply returns by it. See cluster.Node.Apply for the
	// error classes.
	Apply(ctx context.Context, c fsm.Command) (fsm.Result, error)
	IsLeader() bool
	// Leader is the current leader; Peer.HTTPAddr is its base URL.
	Leader() (cluster.Peer, bool)
	// LastContact is the time since the leader was last heard from; 0 on
	// the leader.
	LastContact() time.Duration
	// FreshEnough reports whether this node may answer a `default` read
	// from its own state: see cluster.Node.FreshEnough.
	FreshEnough(maxStale time.Duration) bool
	// ReadIndex (leader only) returns an index covering every write
	// acknowledged before the call.
	ReadIndex(ctx context.Context) (uint64, error)
	// LinearizableIndex is ReadIndex answered by the leader wherever it
	// is (over the peer service from a follower), bounded by ctx.
	LinearizableIndex(ctx context.Context) (uint64, error)
	// WaitApplied waits until the local FSM has applied idx.
	WaitApplied(ctx context.Context, idx uint64) (*fsm.State, error)
	Ready() bool
	// Admission is nil when this node may serve, or an error wrapping
	// cluster.ErrAuthModeMismatch when its flags disagree with the
	// cluster-wide settings: it then answers 503 cluster_mismatch.
	Admission() error
	// StatusWith is this node's view of the cluster; SkipDigest leaves out
	// the O(n) state digest.
	StatusWith(opts cluster.StatusOptions) cluster.Status
	Members() ([]cluster.Member, error)
	// Restore (leader only, one at a time) replaces the whole cluster's
	// state with a snapshot stream, verified completely first: an error
	// wrapping fsm.ErrSnapshotCorrupt, cluster.ErrInsufficientStorage or
	// cluster.ErrRestoreInProgress leaves the cluster unchanged.
	Restore(ctx context.Context, r io.Reader, opts cluster.RestoreOptions) (cluster.RestoreResult, error)
	// Leave takes this node out of the cluster for good; the process then
	// stops.
	Leave(ctx context.Context) error
	// RemoveServer (leader only) removes a server from the raft
	// configuration.
	RemoveServer(ctx context.Context, id string) error
	// TransferLeadership (leader only) hands leadership to another voter.
	TransferLeadership(ctx context.Context) error
	// FSM gives the local state machine: FSM().State() is the newest
	// applied state, lock-free.
	FSM() *fsm.FSM
}

var _ Cluster = (*cluster.Node)(nil)
