package cluster

import (
	"time"

	"github.com/hashicorp/raft"
)

// MaxApplyLag is the most committed-but-unapplied log entries a node may
// have and still count as caught up: it is ready (/readyz) and a follower
// serves `default` reads locally only within it. It is small so that a
// `default` read is at most this many writes behind the leader's commit
// index as last sent to this node, and large enough that a follower
// applying a steady stream of writes (entries arrive in batches) does not
// flap.
const MaxApplyLag = 32

// MinMaxStale is the lowest `default` read staleness bound a node can
// honour: raft's HeartbeatTimeout. A follower's LastContact is refreshed by
// heartbeats sent every HeartbeatTimeout/10, and a leader cut off from its
// quorum keeps believing it leads for up to its LeaderLeaseTimeout (500 ms)
// and then steps down; a bound below this cannot be told apart from a
// healthy cluster.
var MinMaxStale = raft.DefaultConfig().HeartbeatTimeout

// appliedIndex is the index of the last log entry whose effect this node's
// FSM holds. raft.AppliedIndex() runs ahead of the FSM (raft sets it when it
// hands a batch to the FSM goroutine, not when the FSM has applied it), and
// the FSM's own index does not move on entries raft never hands it (no-ops
// and barriers). So: the FSM's index, extended over the dispatched entries
// after it that the FSM never sees. An entry missing from the log was
// compacted into a snapshot, which raft restored before it moved
// AppliedIndex past it.
func (n *Node) appliedIndex() uint64 {
	f := n.fsm.State().Index()
	a := n.raft.AppliedIndex()
	if a <= f {
		return f
	}
	// Only the first entries matter: past MaxApplyLag the node is behind
	// whatever they are.
	limit := min(a, f+2*MaxApplyLag)
	for i := f + 1; i <= limit; i++ {
		var l raft.Log
		if err := n.logs.GetLog(i, &l); err != nil {
			continue // compacted: covered by a restored snapshot
		}
		if l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return i - 1 // dispatched, not yet applied by the FSM
		}
	}
	return limit
}

// ApplyLag is how many entries the leader has committed that this node has
// not applied, as far as this node knows. On the leader it is measured
// against its own commit index; on a follower against the highest commit
// index a leader has sent it (see commitTap), and ok is false until the
// leader of the current term has sent one.
func (n *Node) ApplyLag() (lag uint64, ok bool) {
	var commit uint64
	if n.IsLeader() {
		commit = n.raft.CommitIndex()
	} else if commit, ok = n.tap.leaderCommit(n.raft.CurrentTerm()); !ok {
		return 0, false
	}
	if a := n.appliedIndex(); a < commit {
		return commit - a, true
	}
	return 0, true
}

// FreshEnough reports whether this node may answer a `default` read from
// its own state: on a follower only while the leader was heard from within
// maxStale and this node's applied index is within MaxApplyLag of the
// commit index the leader last sent; on the leader once it has committed
// its barrier of this term (so it holds every entry committed before it
// became leader: a just restarted or elected leader does not) and is
// within MaxApplyLag of its commit index. Heartbeats alone are not enough:
// they keep coming while a follower installs a snapshot, catches up as a
// new member or is stuck.
func (n *Node) FreshEnough(maxStale time.Duration) bool {
	if n.IsLeader() {
		if n.barrierTerm.Load() != n.raft.CurrentTerm() {
			return false
		}
		lag, ok := n.ApplyLag()
		return ok && lag <= MaxApplyLag
	}
	if n.LastContact() > maxStale {
		return false
	}
	lag, ok := n.ApplyLag()
	return ok && lag <= MaxApplyLag
}

// Ready reports whether the node can serve: a leader is known, the cluster
// is initialised, this node has applied everything its log held when it
// started (unless the leader since replaced those entries: they were never
// committed), and it is within MaxApplyLag of the leader's commit index.
func (n *Node) Ready() bool {
	if n.Admission() != nil {
		return false // this node's auth mode is not the cluster's
	}
	if _, ok := n.Leader(); !ok {
		return false
	}
	if !n.fsm.State().Initialized() {
		return false
	}
	if !n.caughtUpWithStart() {
		return false
	}
	lag, ok := n.ApplyLag()
	return ok && lag <= MaxApplyLag
}

// caughtUpWithStart reports whether the node has applied the last entry of
// its log at Open. Once true it stays true (remembered).
func (n *Node) caughtUpWithStart() bool {
	if n.startDone.Load() {
		return true
	}
	if n.appliedIndex() >= n.startIndex {
		n.startDone.Store(true)
		return true
	}
	if n.startTerm != 0 {
		var l raft.Log
		err := n.logs.GetLog(n.startIndex, &l)
		if (err == nil && l.Term != n.startTerm) || (err != nil && n.raft.LastIndex() < n.startIndex) {
			// A new leader replaced (or cut) the tail of the log: those
			// entries were never committed, so there is nothing to wait
			// for.
			n.startDone.Store(true)
			return true
		}
	}
	return false
}
