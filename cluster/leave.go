package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Leave takes this node out of the cluster for good: a leader first hands
// leadership over, then the node asks the leader to remove it from the
// raft configuration and waits until it is gone. The caller then stops the
// process (Left is closed). Data stays on disk but is no longer used.
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
			err := n.askRemoval(ctx, leader.HTTPAddr)
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

func (n *Node) askRemoval(ctx context.Context, leaderHTTP string) error {
	u := leaderHTTP + "/v1/cluster/members/" + url.PathEscape(n.cfg.NodeID)
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return err
	}
	resp, err := n.pilot.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("leader answered %d: %s", resp.StatusCode, body)
	}
	return nil
}
