package cluster

import "github.com/hashicorp/raft"

// wait returns f's error, or raft.ErrRaftShutdown once the node is
// closing. raft never answers a future still queued in its (batched) apply
// channel when it shuts down, so waiting on f alone can hang Close, which
// waits for the leader-duty goroutines. The goroutine left waiting on such
// a future ends with the process.
func (n *Node) wait(f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-n.stop:
		select {
		case err := <-done:
			return err
		default:
			return raft.ErrRaftShutdown
		}
	}
}
