package cluster

import (
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
)

// collector reads the node's raft position and state sizes on each scrape.
type collector struct {
	n *Node

	state, leader, term, commit, applied, last, fsmIndex, contact,
	leaderChanges, voters, healthy, tolerance, workspaces, refs, gossip *prometheus.Desc
}

// Collector returns a Prometheus collector of this node's raft, autopilot
// and state-size metrics.
func (n *Node) Collector() prometheus.Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &collector{
		n:             n,
		state:         d("wsd_raft_state", "1 for the raft state this node is in.", "state"),
		leader:        d("wsd_raft_leader", "1 when this node is the raft leader."),
		term:          d("wsd_raft_term", "Current raft term."),
		commit:        d("wsd_raft_commit_index", "Highest log index known to be committed."),
		applied:       d("wsd_raft_applied_index", "Highest log index handed to the state machine."),
		last:          d("wsd_raft_last_index", "Last log index stored on this node."),
		fsmIndex:      d("wsd_fsm_index", "Log index the published state machine state reflects."),
		contact:       d("wsd_raft_last_contact_seconds", "Seconds since the leader was last heard from (0 on the leader, -1 never)."),
		leaderChanges: d("wsd_raft_leader_changes_total", "Leader changes observed by this node."),
		voters:        d("wsd_raft_voters", "Voters in the raft configuration."),
		healthy:       d("wsd_autopilot_healthy", "1 when autopilot (on the leader) considers the cluster healthy."),
		tolerance:     d("wsd_autopilot_failure_tolerance", "Voters that can fail without losing quorum, per autopilot on the leader."),
		workspaces:    d("wsd_workspaces", "Workspaces in the state machine, built-ins included."),
		refs:          d("wsd_entity_refs", "Entity references held in all workspaces."),
		gossip:        d("wsd_gossip_members", "Other servers in this node's gossip table, by state: alive, failed (seen dead, reconnected every 5s) or left.", "state"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.leader, c.term, c.commit, c.applied, c.last, c.fsmIndex, c.contact,
		c.leaderChanges, c.voters, c.healthy, c.tolerance, c.workspaces, c.refs, c.gossip} {
		ch <- d
	}
	c.n.peerCount.describe(ch)
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	cur := n.raft.State()
	for _, s := range []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown} {
		v := 0.0
		if s == cur {
			v = 1
		}
		g(c.state, v, s.String())
	}
	isLeader := 0.0
	if cur == raft.Leader {
		isLeader = 1
	}
	g(c.leader, isLeader)
	g(c.term, float64(n.raft.CurrentTerm()))
	g(c.commit, float64(n.raft.CommitIndex()))
	g(c.applied, float64(n.raft.AppliedIndex()))
	g(c.last, float64(n.raft.LastIndex()))
	st := n.fsm.State()
	g(c.fsmIndex, float64(st.Index()))
	lc := n.LastContact()
	if lc > 1<<62 {
		g(c.contact, -1)
	} else {
		g(c.contact, lc.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.leaderChanges, prometheus.CounterValue, float64(n.leaderChanges.Load()))
	g(c.voters, float64(n.voters()))
	if n.gossip != nil {
		counts := map[string]float64{"alive": 0, "failed": 0, "left": 0}
		for id, m := range n.gossip.snapshot() {
			switch {
			case id == n.cfg.NodeID:
			case m.alive:
				counts["alive"]++
			case m.left:
				counts["left"]++
			default:
				counts["failed"]++
			}
		}
		for state, v := range counts {
			g(c.gossip, v, state)
		}
	}
	healthy, tol := 0.0, 0.0
	if cur == raft.Leader && n.autopilot != nil {
		if s := n.autopilot.GetState(); s != nil {
			if s.Healthy {
				healthy = 1
			}
			tol = float64(s.FailureTolerance)
		}
	}
	g(c.healthy, healthy)
	g(c.tolerance, tol)
	g(c.workspaces, float64(st.WorkspaceCount()))
	g(c.refs, float64(st.RefCount()))
	n.peerCount.collect(ch)
}

// observeLeaders counts leader changes seen by this node.
func (n *Node) observeLeaders() {
	ch := make(chan raft.Observation, 16)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	n.raft.RegisterObserver(obs)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer n.raft.DeregisterObserver(obs)
		for {
			select {
			case <-n.stop:
				return
			case <-ch:
				n.leaderChanges.Add(1)
				// Never reuse a connection opened to an earlier leader.
				n.peer.dropConns()
			}
		}
	}()
}
