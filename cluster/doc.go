// Package cluster runs one wsd server's replication: hashicorp/raft with
// raft-boltdb as log and stable store and file snapshots under the data
// dir, bootstrap, leadership tracking, the leader-side primitives the HTTP
// layer builds on (Apply, ReadIndex, WaitApplied), and the node-to-node
// peer service.
//
// Invariants:
//   - A node bootstraps only when it has no raft state; restart recovers
//     everything from disk and never bootstraps again. A join-only node
//     (BootstrapExpect 0) never bootstraps at all.
//   - Two clusters never merge (identity.go): the first leader commits a
//     cluster id (fsm.ClusterSettings) that every node stores and gossips;
//     gossip refuses nodes of another id, the leader never adds a server of
//     another id nor one with raft state and no id, and raft RPCs from
//     servers that are neither in the node's configuration nor gossip
//     members of its cluster are refused before raft sees them.
//   - A node whose auth mode differs from the cluster's (Admission) is not
//     Ready and hands leadership over; a restore never changes the
//     cluster's id or auth mode.
//   - Apply is location-transparent: on the leader it proposes locally,
//     elsewhere it sends the encoded command (fsm.Encode) to the leader's
//     peer service, which proposes it and returns the fsm.Result (domain
//     errors typed). Its errors say whether the command certainly did not
//     apply (ErrNotLeader, ErrNoLeader, ErrDeadline, ErrShutdown) or may
//     have (ErrOutcomeUnknown), so callers never retry a write blindly.
//     Only the node that received the client's request builds a command;
//     the leader never forwards it again (one hop).
//   - Deadlines: Apply's context deadline (ApplyTimeout when it has none)
//     is the write's deadline. It travels to the leader as an absolute
//     time plus the time left when sent; the leader uses the earlier of
//     the two. Nothing is proposed after it, no wait outlasts it, and a
//     call that was sent but got no result by it is ErrOutcomeUnknown.
//     Because deadlines are absolute, node clocks must be synchronised
//     (NTP) far better than maxPeerSkew (10 s), which the peer service
//     enforces.
//   - A new leader commits a barrier in its term before it serves read
//     indexes or initialises the built-in workspaces.
//   - A user restore (backup.go) runs on the leader, one at a time, writes
//     nothing to disk before the whole snapshot is verified in memory and
//     fits in the data dir with a margin, installs it at a raft index no
//     entry ever had, and then commits an fsm.Restored entry: an index at
//     or after the restore never names the state from before it.
//   - Raft append pipelining is off (MaxRPCsInFlight 1, transport.go), see
//     hashicorp/raft#612.
//   - Every wait on a raft future is bounded by the node's stop signal
//     (Node.await): raft leaves futures queued at shutdown unanswered.
//     Close is bounded too (closeTransferWait, closeRaftWait: about 10 s).
//   - Ready and FreshEnough measure lag honestly: the applied index the
//     FSM really holds against the commit index the leader last sent
//     (commitTap), never heartbeats alone; Ready also waits for the last
//     entry the log held at Open. MaxApplyLag is the tolerated lag.
//
// # The peer service
//
// Node-to-node calls are not part of the public API: PeerHandler serves
// them under PeerPathPrefix (/v1/peer/) on the API listener (cmd/wsd mounts
// it; it is absent from /openapi.json), and peerClient is their one
// client. Calls (all POST, JSON): read-index (leader: an index covering
// every acknowledged write, for followers' linearizable and stale default
// reads), stats (a server's raft position, for the leader's autopilot),
// leave (the sender asks the leader to remove it from the configuration;
// a server can only remove itself) and apply (above).
//
// Authentication (peer_auth.go): each request carries the sender's server
// id, a timestamp and an HMAC-SHA256 over method, path, sender, timestamp
// and the body's SHA-256, keyed by HMAC-SHA256(cluster secret, "wsd peer
// service v1"), the cluster secret being the gossip key. The receiver
// answers 403 to a bad MAC, a timestamp more than maxPeerSkew from its
// clock, a replayed MAC, or a sender that is not in its raft configuration
// (leave excepted: a removed sender is told it is done). Without a gossip
// key, calls are accepted unauthenticated only with Config.InsecurePeers
// (cmd/wsd sets it for --auth none); otherwise every call is refused.
// Answers are not signed: the transport (HTTPS between nodes) protects them.
//
// Trust: the leader applies a forwarded command as it is, including the
// fsm.Caller inside it, which the sending node authenticated. It may,
// because the sender proved it holds the cluster secret and is a member;
// the state machine still authorises the caller against the role bindings
// at the command's log index. Any member can therefore act as any caller:
// the cluster secret must be guarded like the data itself.
//
// Connections: the peer client drops its pooled connections after any
// transport error and whenever this node sees a leader change, so a call
// never rides on a connection opened before a partition or to an earlier
// leader. Retryable calls (read index, stats, leave) have per-attempt
// timeouts; apply is bounded by its deadline and is retried only while
// nothing was sent or the receiver refused it before proposing.
//
// It imports fsm, raft, raft-boltdb and the standard library; never httpapi
// or client.
package cluster
