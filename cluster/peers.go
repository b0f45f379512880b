package cluster

import "sync"

// Peer is what this node knows about a server of the cluster.
type Peer struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
}

// peerTable maps raft server ids to their addresses. It is written by
// membership changes and read on every forwarded request.
type peerTable struct {
	mu sync.RWMutex
	m  map[string]Peer
}

func (t *peerTable) init() { t.m = map[string]Peer{} }

func (t *peerTable) set(p Peer) {
	t.mu.Lock()
	t.m[p.ID] = p
	t.mu.Unlock()
}

func (t *peerTable) get(id string) (Peer, bool) {
	t.mu.RLock()
	p, ok := t.m[id]
	t.mu.RUnlock()
	return p, ok
}
