package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// modeTally counts the outcomes of one client configuration's writes.
type modeTally struct {
	ok, unknown, alreadyExists, other int
	acked                             map[string]string // name → id answered
}

// Writers with idempotency keys (the client default) and without them
// create workspaces through every node while the leader is killed and
// restarted. With keys a write whose answer was lost is retried and
// answered with its first answer: never a 409 for a create the client made
// once, and every acknowledged id is the one the cluster holds. The counts
// of both modes are logged (the figure for "callers see far fewer errors
// during failover"); they are not asserted, being timing-dependent.
func TestIdempotency_failoverRetries(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	modes := map[string]func(*client.Config){
		"keys":    func(*client.Config) {},
		"no keys": func(cfg *client.Config) { cfg.NoIdempotencyKeys = true },
	}
	tallies := map[string]*modeTally{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for mode, mod := range modes {
		tallies[mode] = &modeTally{acked: map[string]string{}}
		cfg := client.DefaultConfig()
		for _, n := range c.nodes {
			cfg.Endpoints = append(cfg.Endpoints, n.url())
		}
		cfg.HTTPClient = &http.Client{Timeout: 3 * time.Second}
		cfg.MaxRetries = 6
		cfg.RetryBackoff = 100 * time.Millisecond
		mod(&cfg)
		cl, err := client.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; ; k++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("idem-%s-%d-%d", map[string]string{"keys": "k", "no keys": "n"}[mode], w, k)
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					ws, err := cl.CreateWorkspace(ctx, name)
					cancel()
					mu.Lock()
					tl := tallies[mode]
					switch {
					case err == nil:
						tl.ok++
						tl.acked[name] = ws.ID
					case errors.Is(err, client.ErrOutcomeUnknown):
						tl.unknown++
					case errors.Is(err, client.ErrAlreadyExists):
						tl.alreadyExists++
					default:
						tl.other++
					}
					mu.Unlock()
				}
			}()
		}
	}
	time.Sleep(2 * time.Second)
	for range 2 {
		l := c.leader()
		c.kill(l)
		time.Sleep(2 * time.Second)
		c.restart(l)
		c.waitReady(c.nodes...)
		time.Sleep(2 * time.Second)
	}
	close(stop)
	wg.Wait()

	check := c.client(c.nodes...)
	defer check.Close()
	ctx := ctxT(t, 30*time.Second)
	for _, mode := range []string{"keys", "no keys"} {
		tl := tallies[mode]
		t.Logf("%-7s: %d created, %d outcome unknown, %d already exists, %d other errors", mode, tl.ok, tl.unknown, tl.alreadyExists, tl.other)
	}
	if tl := tallies["keys"]; tl.alreadyExists > 0 {
		t.Errorf("with keys, %d creates the client made once answered 409 already_exists", tl.alreadyExists)
	}
	for name, id := range tallies["keys"].acked {
		ws, err := check.GetWorkspace(ctx, name, client.WithConsistency(client.ConsistencyLinearizable))
		if err != nil || ws.ID != id {
			t.Errorf("acknowledged %s (id %s): cluster has %+v, %v", name, id, ws, err)
		}
	}
}
