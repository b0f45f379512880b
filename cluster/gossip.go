package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Meta is what each node gossips about itself. It fits in memberlist's
// 512-byte node meta.
type Meta struct {
	ID         string `json:"id"`
	RaftAddr   string `json:"raft"`
	HTTPAddr   string `json:"http"`
	GossipAddr string `json:"gossip"`
	Expect     int    `json:"expect"`
	Version    string `json:"version"`
	// Bootstrapped is true once the node has raft state: such a node is
	// part of a cluster, and nobody who sees it may bootstrap a new one.
	Bootstrapped bool `json:"bootstrapped"`
	// ClusterID is the id of the node's cluster, empty while unknown.
	ClusterID string `json:"cluster_id,omitempty"`
	// Auth is the node's --auth mode.
	Auth string `json:"auth,omitempty"`
	// FSM is the highest command type the node's binary understands
	// (0 from binaries older than the field).
	FSM int `json:"fsm,omitempty"`
}

// memberState is a gossip member as this node last saw it.
type memberState struct {
	meta  Meta
	alive bool
	left  bool      // left gracefully (memberlist StateLeft)
	since time.Time // when alive last changed
}

// gossip wraps memberlist: it publishes this node's Meta and keeps a table
// of every server seen, alive or not.
type gossip struct {
	ml *memberlist.Memberlist
	// bg tracks the meta updates started from memberlist's callbacks
	// (which must not block); shutdown waits for them.
	bg sync.WaitGroup

	mu      sync.Mutex
	self    Meta
	members map[string]*memberState
	changed chan struct{} // poked (non-blocking) on every membership event
	onPeer  func(Peer)

	log     *slog.Logger
	notes   noteLimiter
	foreign *foreignAddrs // raft addresses of other clusters' nodes
}

func newGossip(cfg Config, self Meta, onPeer func(Peer), foreign *foreignAddrs) (*gossip, error) {
	g := &gossip{self: self, members: map[string]*memberState{}, changed: make(chan struct{}, 1), onPeer: onPeer,
		log: cfg.Logger.With("component", "gossip"), foreign: foreign}
	mc := memberlist.DefaultLANConfig()
	if cfg.GossipLocal {
		mc = memberlist.DefaultLocalConfig()
	}
	mc.Name = cfg.NodeID
	host, port, err := splitHostPort(cfg.GossipAddr)
	if err != nil {
		return nil, fmt.Errorf("gossip addr: %w", err)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	mc.BindAddr, mc.BindPort = host, port
	advGossip, err := resolveHostPort(context.Background(), cfg.AdvertiseGossip)
	if err != nil {
		return nil, fmt.Errorf("advertise gossip addr: %w", err)
	}
	ahost, aport, err := splitHostPort(advGossip)
	if err != nil {
		return nil, fmt.Errorf("advertise gossip addr: %w", err)
	}
	mc.AdvertiseAddr, mc.AdvertisePort = ahost, aport
	mc.Delegate = (*gossipDelegate)(g)
	mc.Events = (*gossipEvents)(g)
	mc.Alive = (*aliveDelegate)(g)
	mc.Merge = (*mergeDelegate)(g)
	mc.Logger = log.New(&memberlistLog{log: cfg.Logger.With("component", "gossip")}, "", 0)
	if cfg.GossipKey != nil {
		mc.SecretKey = cfg.GossipKey
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("start gossip on %s: %w", cfg.GossipAddr, err)
	}
	g.ml = ml
	return g, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", ps, err)
	}
	return host, port, nil
}

// setBootstrapped updates the gossiped meta once the node has raft state.
func (g *gossip) setBootstrapped() {
	g.mu.Lock()
	if g.self.Bootstrapped {
		g.mu.Unlock()
		return
	}
	g.self.Bootstrapped = true
	g.mu.Unlock()
	_ = g.ml.UpdateNode(2 * time.Second)
}

// setClusterID updates the gossiped meta once the cluster id is known.
func (g *gossip) setClusterID(id string) {
	g.mu.Lock()
	if g.self.ClusterID == id {
		g.mu.Unlock()
		return
	}
	g.self.ClusterID = id
	g.mu.Unlock()
	_ = g.ml.UpdateNode(2 * time.Second)
}

// snapshot returns a copy of the member table (this node included).
func (g *gossip) snapshot() map[string]memberState {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]memberState, len(g.members)+1)
	for id, m := range g.members {
		out[id] = *m
	}
	out[g.self.ID] = memberState{meta: g.self, alive: true}
	return out
}

func (g *gossip) poke() {
	select {
	case g.changed <- struct{}{}:
	default:
	}
}

func (g *gossip) observe(n *memberlist.Node, alive bool) {
	var m Meta
	if err := json.Unmarshal(n.Meta, &m); err != nil || m.ID == "" {
		return // not a wsd server
	}
	g.mu.Lock()
	if m.ID == g.self.ID {
		g.mu.Unlock()
		return
	}
	st, ok := g.members[m.ID]
	if !ok {
		st = &memberState{}
		g.members[m.ID] = st
	}
	if !ok || st.alive != alive {
		st.since = time.Now()
	}
	st.meta, st.alive, st.left = m, alive, n.State == memberlist.StateLeft
	g.mu.Unlock()
	if alive && g.onPeer != nil {
		g.onPeer(Peer{ID: m.ID, RaftAddr: m.RaftAddr, HTTPAddr: m.HTTPAddr})
	}
	g.poke()
}

func (g *gossip) leave(timeout time.Duration) error { return g.ml.Leave(timeout) }

func (g *gossip) shutdown() error {
	err := g.ml.Shutdown()
	g.bg.Wait() // each is bounded by its UpdateNode timeout
	return err
}

type gossipDelegate gossip

func (d *gossipDelegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	b, _ := json.Marshal(d.self)
	d.mu.Unlock()
	if len(b) > limit {
		if d.notes.due("meta-size") {
			d.log.Error("gossip meta over memberlist's limit; peers will not see this node's details", "bytes", len(b), "limit", limit)
		}
		return nil
	}
	return b
}
func (d *gossipDelegate) NotifyMsg([]byte)                           {}
func (d *gossipDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *gossipDelegate) LocalState(join bool) []byte                { return nil }
func (d *gossipDelegate) MergeRemoteState(buf []byte, join bool)     {}

type gossipEvents gossip

func (e *gossipEvents) NotifyJoin(n *memberlist.Node)   { (*gossip)(e).observe(n, true) }
func (e *gossipEvents) NotifyUpdate(n *memberlist.Node) { (*gossip)(e).observe(n, true) }
func (e *gossipEvents) NotifyLeave(n *memberlist.Node)  { (*gossip)(e).observe(n, false) }

var _ io.Writer = (*slogWriter)(nil)
