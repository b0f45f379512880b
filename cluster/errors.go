package cluster

import "errors"

// Errors of the replication layer. Each is defined once here; other layers
// match them with errors.Is.
var (
	// ErrNotLeader: this node is not the leader; the command was not
	// proposed and may be sent to the leader.
	ErrNotLeader = errors.New("this node is not the raft leader")
	// ErrNoLeader: no leader is known; nothing was proposed.
	ErrNoLeader = errors.New("no raft leader is known")
	// ErrOutcomeUnknown: the command was proposed but leadership was lost
	// or the wait timed out before it committed. It may or may not apply;
	// the caller must not assume either.
	ErrOutcomeUnknown = errors.New("the write was proposed but its outcome is unknown")
	// ErrDeadline: the request's deadline passed before the command was
	// proposed (or sent to the leader); nothing was applied.
	ErrDeadline = errors.New("the deadline passed before the write was proposed; it was not applied")
	// ErrShutdown: the node is stopping.
	ErrShutdown = errors.New("the node is shutting down")
	// ErrOnlyVoter: the operation would leave the cluster without a voter
	// (the only voter cannot leave, nor hand leadership to anyone).
	ErrOnlyVoter = errors.New("this node is the only voter of its cluster")
	// ErrConfigChangePending: a change of the cluster's membership is
	// being committed, and raft refuses a restore (or snapshot) until it
	// is. Nothing was done; retry shortly.
	ErrConfigChangePending = errors.New("a cluster membership change is being committed")
	// ErrTransferTimeout: the chosen voter did not take leadership within
	// raft's election timeout. This node stayed (or may soon stop being)
	// leader; nothing else changed. Retry shortly.
	ErrTransferTimeout = errors.New("leadership transfer timed out")
)
