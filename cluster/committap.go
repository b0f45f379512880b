package cluster

import (
	"sync"

	"github.com/hashicorp/raft"
)

// commitTap sits between the raft transport and raft: it passes every RPC
// on unchanged and remembers the highest commit index a leader has sent
// this node, with the term it was sent in.
//
// Why not raft's own numbers (issue 12, finding 4): a follower's
// raft.CommitIndex() is min(leader's commit, own last log index), so a
// follower that is far behind in its log, or installing a snapshot, sees a
// commit index close to its own applied index and looks up to date;
// LastContact is refreshed by heartbeats, which travel on a separate fast
// path and keep arriving while the follower installs a snapshot, catches
// up or is stuck behind a slow FSM. Stats() offers nothing better. The
// commit index in the leader's AppendEntries requests (sent at least every
// CommitTimeout, 50 ms, by the replication loop; heartbeats carry none) and
// the last index of an InstallSnapshot request (a snapshot only holds
// committed entries) are the leader's own word, so lag measured against
// them is honest.
type commitTap struct {
	*identityFilter // raft's network transport behind the identity filter
	out             chan raft.RPC
	stop            chan struct{}
	done            chan struct{}
	stopOnce        sync.Once

	mu     sync.Mutex
	term   uint64 // highest term of a leader heard from
	commit uint64 // highest commit index any leader sent
}

func newCommitTap(t *identityFilter) *commitTap {
	c := &commitTap{identityFilter: t, out: make(chan raft.RPC), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *commitTap) run() {
	defer close(c.done)
	in := c.identityFilter.Consumer() // only RPCs of our own cluster
	for {
		select {
		case rpc := <-in:
			c.observe(rpc.Command)
			select {
			case c.out <- rpc:
			case <-c.stop:
				return
			}
		case <-c.stop:
			return
		}
	}
}

func (c *commitTap) observe(cmd any) {
	var term, commit uint64
	switch r := cmd.(type) {
	case *raft.AppendEntriesRequest:
		term, commit = r.Term, r.LeaderCommitIndex
	case *raft.InstallSnapshotRequest:
		term, commit = r.Term, r.LastLogIndex
	default:
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Anything a leader of any term called committed stays committed, so
	// the highest value seen is kept; the term says whether the current
	// leader has spoken yet.
	c.term = max(c.term, term)
	c.commit = max(c.commit, commit)
}

// leaderCommit returns the highest commit index any leader has sent; ok is
// false when the leader of term has not sent one yet.
func (c *commitTap) leaderCommit(term uint64) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.term != term {
		return 0, false
	}
	return c.commit, true
}

// Consumer implements raft.Transport: raft reads RPCs after the tap saw
// them.
func (c *commitTap) Consumer() <-chan raft.RPC { return c.out }

// Close implements raft.WithClose: it stops the tap and the transport.
func (c *commitTap) Close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	err := c.identityFilter.Close()
	<-c.done
	return err
}
