package cluster

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// joinLoop contacts the --join addresses (and the gossip addresses of
// peers remembered from an earlier run) until one answers. memberlist
// resolves DNS names on every attempt, so a headless service whose pods
// are still starting works once they appear.
func (n *Node) joinLoop(ctx context.Context) {
	defer n.wg.Done()
	addrs := slices.Clone(n.cfg.Join)
	for _, p := range n.loadKnownPeers() {
		if p != n.cfg.AdvertiseGossip && !slices.Contains(addrs, p) {
			addrs = append(addrs, p)
		}
	}
	if len(addrs) == 0 {
		return
	}
	for attempt := 0; ; attempt++ {
		joined, err := n.gossip.ml.Join(addrs)
		if joined > 0 {
			n.cfg.Logger.Info("joined gossip", "contacted", joined)
			return
		}
		wait := time.Second
		if err != nil && strings.Contains(err.Error(), foreignMarker) {
			// The join targets belong to another cluster (logged once by
			// the gossip identity check): retry rarely, in case they are
			// replaced by servers of ours.
			wait = 30 * time.Second
		} else if attempt%10 == 0 {
			n.cfg.Logger.Warn("join: no address answered yet; retrying", "addrs", addrs, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

const knownPeersFile = "peers.json"

func (n *Node) loadKnownPeers() []string {
	b, err := os.ReadFile(filepath.Join(n.cfg.DataDir, knownPeersFile))
	if err != nil {
		return nil
	}
	var addrs []string
	_ = json.Unmarshal(b, &addrs)
	return addrs
}

// saveKnownPeers remembers the gossip addresses of servers seen alive, so
// a restarted node can rejoin without --join.
func (n *Node) saveKnownPeers(members map[string]memberState) {
	var addrs []string
	for _, m := range members {
		if m.alive && m.meta.GossipAddr != "" && m.meta.ID != n.cfg.NodeID {
			addrs = append(addrs, m.meta.GossipAddr)
		}
	}
	sort.Strings(addrs)
	if len(addrs) == 0 || slices.Equal(addrs, n.lastSavedPeers) {
		return
	}
	b, _ := json.Marshal(addrs)
	tmp := filepath.Join(n.cfg.DataDir, knownPeersFile+".tmp")
	if os.WriteFile(tmp, b, 0o640) == nil && os.Rename(tmp, filepath.Join(n.cfg.DataDir, knownPeersFile)) == nil {
		n.lastSavedPeers = addrs
	}
}

// bootstrapLoop runs on a node with no raft state and BootstrapExpect > 1.
// It bootstraps only when exactly BootstrapExpect alive servers are
// visible, all of them expecting that same number and none of them already
// part of a cluster. Every such node computes the same sorted server set,
// so they all bootstrap the identical configuration.
func (n *Node) bootstrapLoop(ctx context.Context) {
	defer n.wg.Done()
	want := n.cfg.BootstrapExpect
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-n.gossipChanged():
		}
		if n.hasRaftState() {
			return
		}
		var servers []raft.Server
		blocked := ""
		for _, m := range n.gossip.snapshot() {
			// A join-only node (expect 0) never bootstraps; the leader
			// adds it once the cluster has formed.
			if !m.alive || (m.meta.Expect == 0 && m.meta.ID != n.cfg.NodeID) {
				continue
			}
			switch {
			case m.meta.Bootstrapped:
				blocked = "server " + m.meta.ID + " already belongs to a cluster; waiting to be added by its leader"
			case m.meta.Expect != want:
				blocked = "server " + m.meta.ID + " expects a different bootstrap size"
			}
			servers = append(servers, raft.Server{ID: raft.ServerID(m.meta.ID), Address: raft.ServerAddress(m.meta.RaftAddr), Suffrage: raft.Voter})
		}
		if blocked != "" || len(servers) != want {
			n.setBootstrapNote(blocked, len(servers))
			continue
		}
		sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
		err := n.await(ctx, n.raft.BootstrapCluster(raft.Configuration{Servers: servers}))
		if err != nil {
			n.cfg.Logger.Warn("bootstrap failed", "err", err)
			if n.hasRaftState() {
				return
			}
			continue
		}
		n.cfg.Logger.Info("bootstrapped cluster", "servers", len(servers))
		n.gossip.setBootstrapped()
		return
	}
}

func (n *Node) setBootstrapNote(blocked string, seen int) {
	now := time.Now()
	if now.Sub(n.lastBootstrapNote) < 10*time.Second {
		return
	}
	n.lastBootstrapNote = now
	if blocked != "" {
		n.cfg.Logger.Info("not bootstrapping", "reason", blocked)
		return
	}
	n.cfg.Logger.Info("waiting for servers to bootstrap", "seen", seen, "expect", n.cfg.BootstrapExpect)
}

func (n *Node) gossipChanged() <-chan struct{} {
	if n.gossip == nil {
		return nil
	}
	return n.gossip.changed
}

// hasRaftState reports whether this node is part of a cluster: it has a
// non-empty configuration (bootstrapped, or added by a leader).
func (n *Node) hasRaftState() bool {
	if n.raft.LastIndex() > 0 {
		return true
	}
	f := n.raft.GetConfiguration()
	return f.Error() == nil && len(f.Configuration().Servers) > 0
}

// reconcileLoop runs on the leader: every alive gossip server that is not
// in the raft configuration joins as a non-voter (autopilot promotes it
// once it is stable), and a server that comes back with the same id and a
// new raft address gets its address updated.
func (n *Node) reconcileLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		n.reconcileOnce()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-n.gossipChanged():
		}
	}
}

func (n *Node) reconcileOnce() {
	if n.gossip == nil || !n.IsLeader() {
		return
	}
	n.ensureSettings()
	n.stepDownIfRefused()
	members := n.gossip.snapshot()
	n.saveKnownPeers(members)
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	inConfig := map[raft.ServerID]raft.ServerAddress{}
	for _, s := range f.Configuration().Servers {
		inConfig[s.ID] = s.Address
	}
	for id, m := range members {
		if !m.alive || id == n.cfg.NodeID || m.meta.RaftAddr == "" {
			continue
		}
		addr, ok := inConfig[raft.ServerID(id)]
		if ok && addr == raft.ServerAddress(m.meta.RaftAddr) {
			continue
		}
		if n.removed.recent(id) {
			continue
		}
		if why := n.admissible(m.meta, ok); why != "" {
			if n.notes.due("refuse/" + id + "/" + m.meta.ClusterID) {
				n.cfg.Logger.Error("not adding a server to the raft configuration", "id", id, "raft", m.meta.RaftAddr, "reason", why)
			}
			continue
		}
		err := n.await(n.ctx, n.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(m.meta.RaftAddr), 0, 5*time.Second))
		if err != nil {
			n.cfg.Logger.Warn("adding server failed", "id", id, "err", err)
			continue
		}
		if ok {
			n.cfg.Logger.Info("updated server address", "id", id, "raft", m.meta.RaftAddr)
		} else {
			n.cfg.Logger.Info("added server as non-voter", "id", id, "raft", m.meta.RaftAddr)
		}
	}
}
