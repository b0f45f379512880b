package cluster

import (
	"context"
	"time"
)

// reconnectInterval is how often a node tries to reach the servers its
// gossip table shows as failed.
const reconnectInterval = 5 * time.Second

// reconnectLoop heals the gossip view after a partition. memberlist probes
// only live members and gossips to a dead one only for a while after its
// death (GossipToTheDeadTime), so after a cut longer than that both sides
// keep each other dead for good: a healed follower would stay "failed" on
// the leader until autopilot removed a healthy voter (issue 12). Every
// reconnectInterval this loop joins the gossip address of each failed
// member that did not leave; a member that answers is merged back by
// memberlist's push-pull and reported alive again.
func (n *Node) reconnectLoop(ctx context.Context) {
	defer n.wg.Done()
	tick := time.NewTicker(reconnectInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, addr := range n.gossip.failedAddrs() {
			if ctx.Err() != nil {
				return
			}
			if _, err := n.gossip.ml.Join([]string{addr}); err == nil {
				n.cfg.Logger.Info("reconnected to a failed gossip member", "addr", addr)
			}
		}
	}
}

// failedAddrs returns the gossip addresses of the members seen failed
// (not those that left).
func (g *gossip) failedAddrs() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for id, m := range g.members {
		if !m.alive && !m.left && id != g.self.ID && m.meta.GossipAddr != "" {
			out = append(out, m.meta.GossipAddr)
		}
	}
	return out
}
