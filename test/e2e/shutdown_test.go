package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// sigtermBound is the documented longest time from SIGTERM to exit (see
// cmd/wsd/doc.go): the HTTP drain (10 s) and node.Close (about 10 s).
const sigtermBound = 20 * time.Second

// writeLoad creates workspaces through every node until stop is closed.
func writeLoad(c *testCluster, workers int, stop <-chan struct{}) (wait func() int64) {
	var wg sync.WaitGroup
	var ok atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := c.client(c.nodes...)
			defer cl.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if _, err := cl.CreateWorkspace(ctx, fmt.Sprintf("load-%d-%d", w, i)); err == nil {
					ok.Add(1)
				}
				cancel()
			}
		}()
	}
	return func() int64 { wg.Wait(); return ok.Load() }
}

// sigtermWithin sends SIGTERM to n and fails unless it exits within
// sigtermBound.
func sigtermWithin(t *testing.T, c *testCluster, n *node) time.Duration {
	t.Helper()
	start := time.Now()
	n.signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(sigtermBound):
		t.Errorf("%s did not exit within %s of SIGTERM", n.id, sigtermBound)
		c.kill(n)
	}
	c.wait(n)
	return time.Since(start)
}

// Finding 3: SIGTERM completes within the documented time, for a leader
// under write load and for a node that lost its quorum and is campaigning.
func TestShutdown_sigtermUnderLoad(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	stop := make(chan struct{})
	wait := writeLoad(c, 4, stop)
	defer func() {
		close(stop)
		wait()
	}()
	eventually(t, 20*time.Second, "writes flowing", func() error {
		if s, err := c.status(c.nodes[0]); err != nil || s.FSMIndex < 30 {
			return fmt.Errorf("fsm index %d (%v)", s.FSMIndex, err)
		}
		return nil
	})

	leader := c.leader()
	d := sigtermWithin(t, c, leader)
	t.Logf("leader %s under load exited %s after SIGTERM", leader.id, d.Round(time.Millisecond))

	// Pause one of the other two: the last one has no quorum, campaigns
	// again and again, and is stopped mid-election.
	rest := c.followers(leader)
	if len(rest) != 2 {
		t.Fatalf("%d nodes left, want 2", len(rest))
	}
	c.pause(rest[0])
	defer c.resume(rest[0])
	eventually(t, 20*time.Second, rest[1].id+" without a leader", func() error {
		s, err := c.status(rest[1])
		if err != nil {
			return err
		}
		if s.Leader != nil {
			return fmt.Errorf("%s still sees leader %s (state %s)", rest[1].id, s.Leader.ID, s.State)
		}
		return nil
	})
	d = sigtermWithin(t, c, rest[1])
	t.Logf("%s mid-election under load exited %s after SIGTERM", rest[1].id, d.Round(time.Millisecond))
}
