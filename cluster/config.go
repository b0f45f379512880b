package cluster

import (
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
	// HTTPAdvertise is the base URL peers use to forward requests here.
	HTTPAdvertise string
	// BootstrapExpect is the number of servers that bootstrap together;
	// 1 means a node with no state bootstraps itself alone.
	BootstrapExpect int
	// ApplyTimeout bounds how long a proposal may wait to be committed.
	ApplyTimeout time.Duration
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
	if c.BootstrapExpect < 1 {
		errs = append(errs, fmt.Errorf("bootstrap-expect %d must be at least 1", c.BootstrapExpect))
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
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return errors.Join(errs...)
}
