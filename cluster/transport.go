package cluster

import (
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// newTransport returns the raft TCP transport bound to RaftAddr and
// advertising AdvertiseRaft.
func newTransport(cfg Config, log hclog.Logger) (*raft.NetworkTransport, error) {
	adv, err := net.ResolveTCPAddr("tcp", cfg.AdvertiseRaft)
	if err != nil {
		return nil, fmt.Errorf("advertise raft addr %q: %w", cfg.AdvertiseRaft, err)
	}
	t, err := raft.NewTCPTransportWithLogger(cfg.RaftAddr, adv, 5, 10*time.Second, log.Named("transport"))
	if err != nil {
		return nil, fmt.Errorf("raft transport on %s: %w", cfg.RaftAddr, err)
	}
	return t, nil
}
