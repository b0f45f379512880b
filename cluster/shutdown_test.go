package cluster

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsd-dev/wsd/fsm"
)

// closeBound is the longest Close may take (see closeTransferWait): the
// budgets, the gossip leave, and a margin for a loaded machine.
const closeBound = closeTransferWait + time.Second + 2*closeRaftWait + 5*time.Second

// load proposes writes on n from several goroutines until stop is closed,
// and reports how many Apply calls returned. Every call must return.
func load(n *Node, workers int, stop <-chan struct{}) (wait func() int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	returned := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = n.Apply(context.Background(), &fsm.CreateWorkspace{
					ID: uuid.NewString(), Name: "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i), At: time.Now().UTC().Truncate(time.Microsecond),
				})
				mu.Lock()
				returned++
				mu.Unlock()
			}
		}()
	}
	return func() int { wg.Wait(); return returned }
}

// closeWithin closes n and fails the test, with every goroutine's stack,
// if Close or the writers do not return within closeBound.
func closeWithin(t *testing.T, n *Node, stopLoad chan struct{}, waitLoad func() int) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		err := n.Close()
		close(stopLoad)
		waitLoad()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, ErrShutdown) {
			t.Logf("Close: %v", err)
		}
	case <-time.After(closeBound):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("Close or an Apply in flight did not return within %s:\n%s", closeBound, buf)
	}
}

// Finding 3: Close under a stream of writes. On the base commit an Apply
// or the leader's barrier queued just before raft stopped was never
// answered and Close (or the writer) hung forever.
func TestNode_closeUnderLoad(t *testing.T) {
	n := openNode(t, t.TempDir(), freeAddr(t))
	waitReady(t, n)
	stop := make(chan struct{})
	wait := load(n, 8, stop)
	// Let the writers get going: wait until some writes were applied.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.WaitApplied(ctx, n.FSM().State().Index()+20); err != nil {
		t.Fatalf("writes did not start: %v", err)
	}
	closeWithin(t, n, stop, wait)
	if _, err := n.Apply(context.Background(), &fsm.CreateWorkspace{ID: uuid.NewString(), Name: "late", At: time.Now().UTC()}); err == nil {
		t.Fatal("Apply after Close succeeded")
	}
}

// Finding 3: Close of a node that lost its quorum mid-election, with
// writes in flight, returns within the bound.
func TestNode_closeMidElection(t *testing.T) {
	nodes := startServers(t, 3)
	leader := waitLeader(t, nodes)
	stop := make(chan struct{})
	wait := load(leader, 4, stop)
	for _, n := range nodes {
		if n != leader {
			if err := n.Close(); err != nil {
				t.Logf("close follower: %v", err)
			}
		}
	}
	// The leader steps down once its lease lapses and campaigns alone.
	deadline := time.Now().Add(10 * time.Second)
	for leader.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatal("leader did not step down after losing its quorum")
		}
		time.Sleep(20 * time.Millisecond)
	}
	closeWithin(t, leader, stop, wait)
}
