package fsm

import (
	"io"
	"time"
)

// RestoredType is the command the leader commits right after it restored
// a user snapshot (POST /v1/cluster/restore). Type 14; 13 belongs to the
// cluster identity commands.
const RestoredType CommandType = 14

// Restored marks a user restore in the log. Applying it changes no
// content: what matters is its log index. The restored snapshot is
// installed at a raft index that is a hole in the log, and this entry
// follows it, so every node applies it only after it holds the restored
// state: a read that waits for this entry's index (a linearizable read on
// the leader's read index, or X-Wsd-Min-Index) can never be answered with
// the state from before the restore, and no index names two states.
type Restored struct {
	// SnapshotIndex is the index the restored state was installed at.
	SnapshotIndex uint64 `json:"snapshot_index"`
	// Digest is the restored state's digest (State.Digest), for the record.
	Digest string    `json:"digest"`
	At     time.Time `json:"at"`
	// By is the principal who restored.
	By string `json:"by"`
}

// Type implements Command.
func (*Restored) Type() CommandType { return RestoredType }

// applyRestored changes nothing but the index, which applyEntry moves to
// the entry's own.
func (s *State) applyRestored(uint64, *Restored) Result { return Result{} }

// WriteSnapshotAt streams the state in the snapshot format with index as
// its recorded index. A user restore rewrites an uploaded snapshot at the
// raft index it is installed at, so that every node that installs it
// publishes the restored state under an index no other state ever had.
func (s *State) WriteSnapshotAt(w io.Writer, index uint64) error {
	return s.writeSnapshot(w, index)
}
