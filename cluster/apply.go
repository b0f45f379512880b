package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// leaderPoll is how often a call waiting for a reachable leader looks
// again.
const leaderPoll = 50 * time.Millisecond

// Apply proposes a command and waits for its result, wherever the leader
// is: on the leader it proposes locally; elsewhere it sends the encoded
// command to the leader's peer service, waiting up to LeaderWait for a
// leader to be known and reachable. The context's deadline (ApplyTimeout
// from now when it has none) is the write's deadline: nothing is proposed
// or sent after it, and Apply returns by it.
//
// A domain refusal comes back as the FSM's *fsm.Error (with the Result).
// Otherwise the error says whether the command certainly did not apply
// (ErrNoLeader, ErrDeadline, ErrShutdown: safe to retry) or may have
// (ErrOutcomeUnknown).
func (n *Node) Apply(ctx context.Context, c fsm.Command) (fsm.Result, error) {
	data, err := fsm.Encode(c)
	if err != nil {
		return fsm.Result{}, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(n.cfg.ApplyTimeout)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	res, err := n.applyAnywhere(ctx, data, deadline)
	if err != nil {
		return fsm.Result{}, err
	}
	return res, res.Err
}

func (n *Node) applyAnywhere(ctx context.Context, data []byte, deadline time.Time) (fsm.Result, error) {
	giveUp := time.Now().Add(n.cfg.LeaderWait)
	var last error
	for {
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			if last != nil {
				return fsm.Result{}, fmt.Errorf("%w (last attempt: %v)", ErrDeadline, last)
			}
			return fsm.Result{}, ErrDeadline
		}
		if n.IsLeader() {
			res, err := n.propose(ctx, data)
			if !errors.Is(err, ErrNotLeader) || errors.Is(err, ErrOutcomeUnknown) {
				return res, err
			}
			last = err
		} else if p, ok := n.Leader(); ok && p.ID != n.cfg.NodeID && p.HTTPAddr != "" {
			res, err := n.peer.apply(ctx, p.HTTPAddr, data, deadline)
			n.peerCount.countForward(err)
			if err == nil || !notApplied(err) {
				return res, err
			}
			last = err
			n.cfg.Logger.Debug("forwarding a write: leader unreachable or not leading; retrying", "leader", p.ID, "err", err)
		}
		if time.Now().After(giveUp) {
			if last != nil {
				return fsm.Result{}, fmt.Errorf("%w within %s (last attempt: %v)", ErrNoLeader, n.cfg.LeaderWait, last)
			}
			return fsm.Result{}, ErrNoLeader
		}
		if err := n.pause(ctx, leaderPoll); err != nil {
			return fsm.Result{}, err
		}
	}
}

// pause waits d, or returns ErrDeadline or ErrShutdown.
func (n *Node) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ErrDeadline
	case <-n.stop:
		return ErrShutdown
	}
}

// propose proposes data on this node, which should lead, and waits for
// its result until ctx is done. The error is a replication failure only
// (a domain refusal is in the Result): ErrNotLeader, ErrNoLeader,
// ErrDeadline or ErrShutdown when nothing was proposed, ErrOutcomeUnknown
// when it was and no result came back in time.
func (n *Node) propose(ctx context.Context, data []byte) (fsm.Result, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(n.cfg.ApplyTimeout)
	}
	remaining := time.Until(dl)
	if remaining <= 0 || ctx.Err() != nil {
		return fsm.Result{}, ErrDeadline
	}
	// raft's timeout bounds only the enqueue: once enqueued, the entry is
	// proposed and the wait below is what is bounded.
	f := n.raft.Apply(data, remaining)
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		if err != nil {
			if errors.Is(err, raft.ErrEnqueueTimeout) {
				return fsm.Result{}, ErrDeadline
			}
			return fsm.Result{}, mapRaftError(err, true)
		}
	case <-ctx.Done():
		return fsm.Result{}, fmt.Errorf("%w: no result within the deadline", ErrOutcomeUnknown)
	case <-n.stop:
		return fsm.Result{}, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ErrShutdown)
	}
	r, ok := f.Response().(fsm.Result)
	if !ok {
		return fsm.Result{}, fmt.Errorf("%w: unexpected apply response %T", ErrOutcomeUnknown, f.Response())
	}
	return r, nil
}

// LinearizableIndex returns an index covering every write acknowledged
// before the call, from the leader wherever it is: the local ReadIndex on
// the leader, else the leader's over the peer service, retried (each
// attempt bounded) while the leader cannot be reached, up to LeaderWait
// and never past ctx's deadline.
func (n *Node) LinearizableIndex(ctx context.Context) (uint64, error) {
	giveUp := time.Now().Add(n.cfg.LeaderWait)
	var last error
	for {
		if ctx.Err() != nil {
			break
		}
		if n.IsLeader() {
			idx, err := n.ReadIndex(ctx)
			if !errors.Is(err, ErrNotLeader) {
				return idx, err
			}
			last = err
		} else if p, ok := n.Leader(); ok && p.ID != n.cfg.NodeID && p.HTTPAddr != "" {
			actx, cancel := context.WithTimeout(ctx, peerAttemptTimeout)
			idx, err := n.peer.readIndex(actx, p.HTTPAddr)
			cancel()
			if err == nil {
				return idx, nil
			}
			last = err
			n.cfg.Logger.Debug("read index from the leader failed; retrying", "leader", p.ID, "err", err)
		}
		if time.Now().After(giveUp) {
			break
		}
		if err := n.pause(ctx, leaderPoll); err != nil {
			break
		}
	}
	if last != nil {
		return 0, fmt.Errorf("%w (last attempt: %v)", ErrNoLeader, last)
	}
	return 0, ErrNoLeader
}
