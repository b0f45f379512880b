package cluster

import (
	"github.com/hashicorp/raft"
)

// Status is a node's view of the cluster, served at /v1/cluster/status.
// Digest is empty, and left out of the JSON, when StatusOptions.SkipDigest
// is set.
type Status struct {
	ID            string `json:"id"`
	ClusterID     string `json:"cluster_id,omitempty"`
	State         string `json:"state"`
	Term          uint64 `json:"term"`
	Leader        *Peer  `json:"leader"`
	CommitIndex   uint64 `json:"commit_index"`
	AppliedIndex  uint64 `json:"applied_index"`
	LastIndex     uint64 `json:"last_index"`
	FSMIndex      uint64 `json:"fsm_index"`
	LastContactMS int64  `json:"last_contact_ms"`
	Digest        string `json:"digest,omitempty"`
	Ready         bool   `json:"ready"`
}

// Member is one server of the raft configuration.
type Member struct {
	Peer
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// StatusOptions choose what Status computes.
type StatusOptions struct {
	// SkipDigest leaves Digest empty: computing it walks the whole state
	// (O(n)), too much for a frequent poll such as autopilot's.
	SkipDigest bool
}

// Status reports this node's raft state and a digest of its FSM content at
// its applied index, so nodes can be compared.
func (n *Node) Status() Status { return n.StatusWith(StatusOptions{}) }

// StatusWith is Status with options.
func (n *Node) StatusWith(opts StatusOptions) Status {
	st := n.fsm.State()
	s := Status{
		ID:           n.cfg.NodeID,
		ClusterID:    n.ClusterID(),
		State:        n.raft.State().String(),
		Term:         n.raft.CurrentTerm(),
		CommitIndex:  n.raft.CommitIndex(),
		AppliedIndex: n.raft.AppliedIndex(),
		LastIndex:    n.raft.LastIndex(),
		FSMIndex:     st.Index(),
		Ready:        n.Ready(),
	}
	if !opts.SkipDigest {
		s.Digest = st.Digest()
	}
	if p, ok := n.Leader(); ok {
		s.Leader = &p
	}
	if lc := n.LastContact(); lc < 1<<62 {
		s.LastContactMS = lc.Milliseconds()
	} else {
		s.LastContactMS = -1
	}
	return s
}

// Members lists the servers of the current raft configuration.
func (n *Node) Members() ([]Member, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, mapRaftError(err, false)
	}
	_, leaderID := n.raft.LeaderWithID()
	var out []Member
	for _, srv := range f.Configuration().Servers {
		p, ok := n.peers.get(string(srv.ID))
		if !ok {
			p = Peer{ID: string(srv.ID), RaftAddr: string(srv.Address)}
		}
		suf := "voter"
		if srv.Suffrage != raft.Voter {
			suf = "nonvoter"
		}
		out = append(out, Member{Peer: p, Suffrage: suf, Leader: srv.ID == leaderID})
	}
	return out, nil
}
