package cluster

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"
)

// pilot is the raft-autopilot application integration. It runs only on
// the leader: it promotes stable non-voters and removes servers that have
// been dead for DeadServerTimeout, never below quorum (autopilot refuses a
// removal that would take away a majority of voters).
type pilot struct {
	n *Node

	mu      sync.Mutex
	missing map[raft.ServerID]time.Time // in the raft config, unknown to gossip since
	// answered is when each server last answered this leader's stats
	// call: a server that answers is not dead, whatever a stale gossip
	// view says.
	answered map[raft.ServerID]time.Time
	state    *autopilot.State
}

func newPilot(n *Node) *pilot {
	return &pilot{
		n:        n,
		missing:  map[raft.ServerID]time.Time{},
		answered: map[raft.ServerID]time.Time{},
	}
}

func (p *pilot) AutopilotConfig() *autopilot.Config {
	return &autopilot.Config{
		CleanupDeadServers:      true,
		LastContactThreshold:    p.n.cfg.LastContactThreshold,
		MaxTrailingLogs:         500,
		MinQuorum:               0,
		ServerStabilizationTime: p.n.cfg.ServerStabilizationTime,
	}
}

func (p *pilot) NotifyState(s *autopilot.State) {
	p.mu.Lock()
	p.state = s
	p.mu.Unlock()
}

// KnownServers reports every server gossip or the raft configuration
// knows. A server counts as failed only once it has been dead, gone or
// unknown for DeadServerTimeout and has not answered this leader's stats
// call in that time either; until then it is reported alive so that a
// restart, a short partition or a gossip view that has not healed yet
// never costs it its seat.
func (p *pilot) KnownServers() map[raft.ServerID]*autopilot.Server {
	n := p.n
	now := time.Now()
	members := n.gossip.snapshot()
	out := map[raft.ServerID]*autopilot.Server{}
	_, leaderID := n.raft.LeaderWithID()
	p.mu.Lock()
	answered := maps.Clone(p.answered)
	p.mu.Unlock()
	status := func(id raft.ServerID, alive bool, since time.Time) autopilot.NodeStatus {
		if alive || now.Sub(since) < n.cfg.DeadServerTimeout || now.Sub(answered[id]) < n.cfg.DeadServerTimeout {
			return autopilot.NodeAlive
		}
		return autopilot.NodeFailed
	}
	for id, m := range members {
		sid := raft.ServerID(id)
		out[sid] = &autopilot.Server{
			ID: sid, Name: id, Address: raft.ServerAddress(m.meta.RaftAddr),
			NodeStatus: status(sid, m.alive, m.since), Version: m.meta.Version,
			Meta: map[string]string{"http": m.meta.HTTPAddr}, RaftVersion: raft.ProtocolVersionMax,
			IsLeader: sid == leaderID, NodeType: autopilot.NodeVoter,
		}
	}
	f := n.raft.GetConfiguration()
	if f.Error() == nil {
		p.mu.Lock()
		seen := map[raft.ServerID]bool{}
		for _, s := range f.Configuration().Servers {
			seen[s.ID] = true
			if _, ok := out[s.ID]; ok {
				delete(p.missing, s.ID)
				continue
			}
			since, ok := p.missing[s.ID]
			if !ok {
				since = now
				p.missing[s.ID] = now
			}
			out[s.ID] = &autopilot.Server{
				ID: s.ID, Name: string(s.ID), Address: s.Address,
				NodeStatus: status(s.ID, false, since), RaftVersion: raft.ProtocolVersionMax,
				IsLeader: s.ID == leaderID, NodeType: autopilot.NodeVoter,
			}
		}
		for id := range p.missing {
			if !seen[id] {
				delete(p.missing, id)
			}
		}
		p.mu.Unlock()
	}
	return out
}

// FetchServerStats asks each server for its raft position over the peer
// service (peer_server.go), each call bounded by peerAttemptTimeout.
func (p *pilot) FetchServerStats(ctx context.Context, servers map[raft.ServerID]*autopilot.Server) map[raft.ServerID]*autopilot.ServerStats {
	type result struct {
		id    raft.ServerID
		stats *autopilot.ServerStats
	}
	ch := make(chan result, len(servers))
	for id, s := range servers {
		go func() {
			st, err := p.fetch(ctx, id, s)
			if err != nil {
				st = nil
			}
			ch <- result{id, st}
		}()
	}
	out := map[raft.ServerID]*autopilot.ServerStats{}
	for range servers {
		r := <-ch
		if r.stats != nil {
			out[r.id] = r.stats
		}
	}
	return out
}

func (p *pilot) fetch(ctx context.Context, id raft.ServerID, s *autopilot.Server) (*autopilot.ServerStats, error) {
	if string(id) == p.n.cfg.NodeID {
		return &autopilot.ServerStats{LastContact: 0, LastTerm: p.n.raft.CurrentTerm(), LastIndex: p.n.raft.LastIndex()}, nil
	}
	base := s.Meta["http"]
	if base == "" {
		return nil, fmt.Errorf("no http address for %s", id)
	}
	ctx, cancel := context.WithTimeout(ctx, peerAttemptTimeout)
	defer cancel()
	st, err := p.n.peer.stats(ctx, base)
	if err != nil {
		return nil, err
	}
	if st.ID != string(id) {
		return nil, fmt.Errorf("server at %s reports id %q, want %q", base, st.ID, id)
	}
	p.mu.Lock()
	if p.answered == nil {
		p.answered = map[raft.ServerID]time.Time{}
	}
	p.answered[id] = time.Now()
	p.mu.Unlock()
	// A peer's answer is input: a negative silence means never heard.
	lc := time.Duration(st.LastContactNS)
	if st.LastContactNS < 0 {
		lc = -1
	}
	return &autopilot.ServerStats{LastContact: lc, LastTerm: st.Term, LastIndex: st.LastIndex}, nil
}

func (p *pilot) RemoveFailedServer(s *autopilot.Server) {
	p.n.cfg.Logger.Warn("removing dead server", "id", s.ID, "dead_for_at_least", p.n.cfg.DeadServerTimeout)
	if err := p.n.RemoveServer(context.Background(), string(s.ID)); err != nil {
		p.n.cfg.Logger.Warn("removing dead server failed", "id", s.ID, "err", err)
	}
}

// tombstones remembers servers removed on purpose, so that reconciliation
// does not add a server straight back while gossip still shows it.
type tombstones struct {
	mu sync.Mutex
	m  map[string]time.Time
}

const tombstoneTTL = 30 * time.Second

func (t *tombstones) add(id string) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]time.Time{}
	}
	t.m[id] = time.Now()
	t.mu.Unlock()
}

func (t *tombstones) recent(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.m[id]
	if ok && time.Since(at) > tombstoneTTL {
		delete(t.m, id)
		return false
	}
	return ok
}
