package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"
)

// Config configures one wsd node's replication. cmd/wsd fills it from
// flags and environment; nothing here reads the environment.
type Config struct {
	// NodeID is the raft server id; stable across restarts.
	NodeID string
	// DataDir holds raft.db (log and stable store) and snapshots/.
	DataDir string
	// RaftAddr is the address the raft transport listens on.
	RaftAddr string
	// AdvertiseRaft is the raft address peers use; derived from RaftAddr
	// when empty (a wildcard host becomes 127.0.0.1).
	AdvertiseRaft string
	// RaftTLS, when set, runs the raft transport over mutual TLS.
	RaftTLS *TLSPair
	// HTTPTLS, when set, is the client TLS config for this node's calls to
	// peers' peer services (on their HTTP API listeners).
	HTTPTLS *tls.Config
	// HTTPAdvertise is the base URL peers use to forward requests here.
	HTTPAdvertise string
	// GossipAddr is the memberlist bind address; empty disables gossip
	// (a lone node that never joins others).
	GossipAddr string
	// AdvertiseGossip is the gossip address peers use; derived like
	// AdvertiseRaft when empty.
	AdvertiseGossip string
	// Join lists gossip addresses (host:port or DNS names) to contact;
	// retried, and re-resolved, until one answers.
	Join []string
	// GossipKey, when set, encrypts gossip (16, 24 or 32 bytes, AES). It
	// is the cluster secret: the peer service's MAC key is derived from it.
	GossipKey []byte
	// InsecurePeers lets the peer service accept unauthenticated calls
	// when there is no GossipKey: for clusters without authentication
	// (--auth none) only. Without a key and without it, every peer call is
	// refused.
	InsecurePeers bool
	// GossipLocal selects memberlist's loopback timings (faster failure
	// detection), for tests and single-host clusters.
	GossipLocal bool
	// BootstrapExpect is the number of servers that bootstrap together;
	// 1 means a node with no state bootstraps itself alone; 0 means join
	// only: the node never bootstraps, it waits to be added by a leader
	// (it needs gossip).
	BootstrapExpect int
	// AuthMode is this node's authentication mode ("none", "oidc"; empty
	// means none). The first leader records the cluster's mode; a node
	// whose mode differs refuses to serve (see Node.Admission).
	AuthMode string
	// DeadServerTimeout is how long a server must be dead or gone before
	// the leader removes it from the raft configuration.
	DeadServerTimeout time.Duration
	// ServerStabilizationTime is how long a new server must be healthy
	// before it is promoted to voter.
	ServerStabilizationTime time.Duration
	// LastContactThreshold is the longest leader silence a healthy
	// follower may have.
	LastContactThreshold time.Duration
	// AdminPrincipal is granted PlatformAdmin by the command that first
	// initialises the cluster.
	AdminPrincipal string
	// Version is gossiped to peers.
	Version string
	// ApplyTimeout bounds how long a proposal may wait to be committed
	// when the caller's context has no deadline.
	ApplyTimeout time.Duration
	// LeaderWait is how long Apply and LinearizableIndex wait for a
	// reachable leader before ErrNoLeader (never past the context's
	// deadline).
	LeaderWait time.Duration
	// SnapshotThreshold and SnapshotInterval control log compaction.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	// Logger receives the node's logs.
	Logger *slog.Logger
}

// DefaultConfig returns a single-node configuration under dataDir.
func DefaultConfig(dataDir string) Config {
	host, _ := os.Hostname()
	return Config{
		NodeID:            host,
		DataDir:           dataDir,
		RaftAddr:          ":8300",
		BootstrapExpect:   1,
		DeadServerTimeout: 5 * time.Minute,
		ApplyTimeout:      10 * time.Second,
		SnapshotThreshold: 8192,
		SnapshotInterval:  2 * time.Minute,
	}
}

// Validate checks the configuration and fills derived fields.
func (c *Config) Validate() error {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("node id is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is empty"))
	}
	if c.BootstrapExpect < 0 {
		errs = append(errs, fmt.Errorf("bootstrap-expect %d must not be negative", c.BootstrapExpect))
	}
	if c.BootstrapExpect == 0 && c.GossipAddr == "" {
		errs = append(errs, errors.New("a join-only node (bootstrap-expect 0) needs gossip"))
	}
	if c.ApplyTimeout <= 0 {
		errs = append(errs, errors.New("apply timeout must be positive"))
	}
	if c.AdvertiseRaft == "" {
		host, port, err := net.SplitHostPort(c.RaftAddr)
		if err != nil {
			errs = append(errs, fmt.Errorf("raft addr %q: %w", c.RaftAddr, err))
		} else {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			c.AdvertiseRaft = net.JoinHostPort(host, port)
		}
	}
	if c.GossipAddr != "" && c.AdvertiseGossip == "" {
		adv, err := advertiseAddr(c.GossipAddr, c.AdvertiseRaft)
		if err != nil {
			errs = append(errs, fmt.Errorf("gossip addr %q: %w", c.GossipAddr, err))
		}
		c.AdvertiseGossip = adv
	}
	if c.DeadServerTimeout <= 0 {
		c.DeadServerTimeout = 5 * time.Minute
	}
	if c.ServerStabilizationTime <= 0 {
		c.ServerStabilizationTime = 5 * time.Second
	}
	if c.LastContactThreshold <= 0 {
		c.LastContactThreshold = 2 * time.Second
	}
	if c.LeaderWait <= 0 {
		c.LeaderWait = 7 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return errors.Join(errs...)
}

// advertiseAddr keeps addr's port and takes the host of like (an already
// advertised address), so gossip is advertised on the same host as raft.
func advertiseAddr(addr, like string) (string, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	host, _, err := net.SplitHostPort(like)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, port), nil
}
