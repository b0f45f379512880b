// Command wsd is the workspace metadata service daemon.
//
//	wsd [flags]          run a node (see wsd -h; every flag has a WSD_* twin)
//	wsd version          print the version
//
// Admin subcommands call the cluster admin API of a running node (--addr,
// WSD_ADDR, default http://127.0.0.1:8080; --ca-file for HTTPS,
// --cert-file/--key-file for a client certificate, --token for a bearer
// token):
//
//	wsd members                     list the servers of the raft configuration
//	wsd leave                       the node at --addr leaves the cluster for good and stops
//	wsd transfer-leadership         the leader hands leadership to another voter
//	wsd remove-member ID            the leader removes a (dead) server
//	wsd snapshot save FILE          save a consistent snapshot (verified before FILE is written)
//	wsd snapshot restore FILE       replace the whole cluster's state with a snapshot
//
// With no flags it runs a single-node cluster with its data in ./wsd-data
// and serves the API on :8080. The --http-* flags bound what one client can
// hold of the HTTP server (timeouts, header size, open connections, derived
// from RLIMIT_NOFILE by default; limits.go). --join without
// an explicit --bootstrap-expect (flag or WSD_BOOTSTRAP_EXPECT) is join
// only: the node never bootstraps a cluster of its own. With --auth oidc
// the node refuses to start without --gossip-key (when gossip runs) and
// raft mutual TLS, unless --insecure-cluster is given, which it logs at
// WARN. main only calls run; run builds the FSM, the
// raft node, the HTTP server and one Prometheus registry, and shuts them
// down in order on SIGINT or SIGTERM.
//
// Shutdown is bounded: the HTTP server drains in-flight requests for at
// most 10 s, then the node closes in at most about 10 s (a leader's
// hand-over 3 s, leaving gossip 1 s, raft's shutdown 3 s, its own
// goroutines 3 s; see cluster.Node.Close), so SIGTERM completes within
// 20 s even mid-election or under write load, inside the 30 s a container
// runtime allows before SIGKILL (test/e2e TestShutdown_sigtermUnderLoad).
//
// --max-stale below 1 s (raft's heartbeat timeout) is refused at start: a
// node cannot honour a smaller staleness bound.
package main
