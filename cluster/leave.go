package cluster

import (
	"context"
	"fmt"
	"time"
)

// Leave takes this node out of the cluster for good: a leader first hands
// leadership over, then the node asks the leader, over the peer service,
// to remove it from the raft configuration and waits until it is gone.
// The caller then stops the process (Left is closed). Data stays on disk
// but is no longer used.
func (n *Node) Leave(ctx context.Context) error {
	if n.IsLeader() {
		if n.voters() <= 1 {
			return fmt.Errorf("leave: %w", ErrOnlyVoter)
		}
		if err := n.TransferLeadership(ctx); err != nil {
			return fmt.Errorf("transfer leadership before leaving: %w", err)
		}
	}
	for {
		leader, ok := n.Leader()
		if ok && leader.ID != n.cfg.NodeID && leader.HTTPAddr != "" {
			actx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err := n.peer.leave(actx, leader.HTTPAddr)
			cancel()
			if err == nil {
				break // the leader committed the removal before answering
			}
			n.cfg.Logger.Warn("leave: removal request failed; retrying", "leader", leader.ID, "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("leave: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	n.cfg.Logger.Info("left the cluster")
	n.leftOnce.Do(func() { close(n.left) })
	return nil
}

// Left is closed once Leave has succeeded.
func (n *Node) Left() <-chan struct{} { return n.left }
