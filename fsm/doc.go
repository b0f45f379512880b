// Package fsm is wsd's replicated state machine: workspaces, projects,
// entity references and role bindings, and the commands that change them.
//
// Invariants:
//   - Apply is deterministic. Ids, timestamps and principals are fields of
//     the command, decided before it is proposed; nothing here reads the
//     clock, a random source or node-local state.
//   - Every log entry is a versioned envelope (envelope version, command
//     type, command version, JSON payload). Type numbers only grow. An entry
//     this binary does not understand stops the node, unless the writer
//     marked it IgnoreUnknownFlag, so a node never guesses and diverges.
//     A write carrying an idempotency key (Keyed) is envelope version 2,
//     used only when a key is present, so a node that knows only envelope
//     1 refuses it rather than apply it without its once-only guarantee.
//   - Idempotency keys are remembered per (principal, key) with the answer
//     they got, for IdempotencyWindow log entries and at most
//     IdempotencyKeys of them; eviction depends on log indexes only, so
//     every replica forgets the same keys at the same entry. Snapshots
//     holding keys are format version 3; without keys, version 1 or 2 as
//     before, byte for byte.
//   - Domain failures (not found, already exists, not empty, built-in,
//     invalid) are returned as *Error values inside Result; a refused
//     command changes nothing because every precondition is checked before
//     the first write.
//   - Authorization of writes is decided here, in Apply: a write command
//     carries its Caller, and the roles it needs are checked against the
//     bindings at the command's log index, so a revocation committed
//     before a write always wins. A nil Caller means authentication is
//     off, and is allowed everything only while the cluster's recorded
//     auth mode (ClusterSettings) is AuthNone or unrecorded; in a cluster
//     with authentication a nil Caller is allowed nothing. A caller without any role in the workspace is refused with the
//     workspace's not-found error, one with too small a role with
//     Forbidden (State.refuse). Reads are checked by the serving node with
//     State.Allowed and State.CanSee.
//   - ClusterSettings (cluster id and auth mode) is set once; the id never
//     changes and the mode only moves from AuthNone to an authenticated
//     mode. It travels in snapshots (format version 2).
//   - Readers get immutable *State values published after each applied
//     batch (copy-on-write B-trees behind an atomic pointer): reads take no
//     lock and never block Apply, and a reader's view is consistent.
//   - Snapshots stream a versioned, checksummed format; Restore reads and
//     verifies the whole stream into a fresh State before swapping it in.
//     The index never goes back: a restored snapshot whose content holds
//     an older index keeps the node's. A user restore is installed at a
//     fresh raft index (State.WriteSnapshotAt) and followed by a Restored
//     entry (type 14), so no index names two states.
//   - Role bindings: a workspace keeps at least one Admin, and the system
//     workspace at least one PlatformAdmin (409 conflict otherwise).
//   - A command whose apply changes meaning gets a new version, and Decode
//     tells the command the version its entry was written at (versioned):
//     AddMember and SetMemberRoles v2 (issue 15) merge roles, set the roles
//     of a principal without any, take [] and JobRunner; a v1 entry still
//     applies as v1 did, and a v1-only binary refuses a v2 entry.
//   - Lists are reads, outside Apply: a filter (package filter, compiled
//     once per request) is evaluated only over the records ListQuery.Visible
//     lets through, and only an exact name at the filter's top level is
//     used to look a record up instead of scanning.
//
// Who may import it: cluster, httpapi and cmd/wsd. It imports raft (for
// the FSM interfaces), tidwall/btree, wsd's filter package (no
// dependencies) and the standard library only.
package fsm
