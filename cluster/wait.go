package cluster

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// await waits for a raft future, but never longer than the node runs or
// ctx lives. raft answers most futures, but not all: an Apply or Barrier
// still queued in raft's apply channel when raft shuts down is never
// answered, and a bare f.Error() then blocks forever (issue 12, finding 3:
// Close waited on leaderDuties stuck in Barrier().Error()). Every wait on a
// raft future in this package goes through await (or awaitTimeout).
//
// A raft future only exposes a blocking Error(), so it is called in a
// goroutine that hands its answer over a buffered channel: when raft
// answers late the goroutine ends then. Only a future raft never answers
// keeps its goroutine, and that happens only after Shutdown, when the
// process is stopping: at most one goroutine per proposal in flight at
// shutdown (tests ignore them in goleak by this function's name).
//
// On stop it returns raft.ErrRaftShutdown and on ctx's end ctx.Err(), so
// mapRaftError classifies both (a proposal then has an unknown outcome).
func (n *Node) await(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-n.stop:
		// raft may have answered at the same time: prefer its answer.
		select {
		case err := <-done:
			return err
		default:
		}
		return raft.ErrRaftShutdown
	case <-ctx.Done():
		select {
		case err := <-done:
			return err
		default:
		}
		return ctx.Err()
	}
}

// errWaitTimedOut is awaitFor's answer when d passed first.
var errWaitTimedOut = errors.New("timed out waiting for raft")

// awaitFor waits for f at most d; for waits that must end even after the
// node's stop signal (Close itself).
func awaitFor(f raft.Future, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errWaitTimedOut
	}
}

// waitGroupFor waits for wg at most d and reports whether it finished.
func waitGroupFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
