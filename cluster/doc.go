// Package cluster runs one wsd server's replication: hashicorp/raft with
// raft-boltdb as log and stable store and file snapshots under the data
// dir, bootstrap, leadership tracking, and the leader-side primitives the
// HTTP layer builds on (Apply, ReadIndex, WaitApplied).
//
// Invariants:
//   - A node bootstraps only when it has no raft state; restart recovers
//     everything from disk and never bootstraps again.
//   - Apply only proposes on the leader. Its errors say whether the command
//     certainly did not apply (ErrNotLeader, ErrNoLeader) or may have
//     (ErrOutcomeUnknown), so callers never retry a write blindly.
//   - A new leader commits a barrier in its term before it serves read
//     indexes or initialises the built-in workspaces.
//   - A user restore (backup.go) runs on the leader, one at a time, writes
//     nothing to disk before the whole snapshot is verified in memory and
//     fits in the data dir with a margin, installs it at a raft index no
//     entry ever had, and then commits an fsm.Restored entry: an index at
//     or after the restore never names the state from before it.
//
// It imports fsm, raft, raft-boltdb and the standard library; never httpapi
// or client.
package cluster
