//go:build e2elong

package e2e

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFaults_long runs fault rounds of every kind, in a random order, for
// WSD_E2E_LONG_DURATION (default 20m) of rounds, then the load balancer
// run with three leader kills and the full-crash durability check.
// WSD_E2E_SEED fixes the order of the rounds; WSD_E2E_FAULTS, a comma list
// of fault kinds (e.g. kill-leader,partition-follower), limits the rounds
// to those. Run it with make e2e-long.
func TestFaults_long(t *testing.T) {
	dur := 20 * time.Minute
	if v := os.Getenv("WSD_E2E_LONG_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("WSD_E2E_LONG_DURATION=%q: %v", v, err)
		}
		dur = d
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("WSD_E2E_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("WSD_E2E_SEED=%q: %v", v, err)
		}
		seed = s
	}
	kinds := allFaultKinds
	if v := os.Getenv("WSD_E2E_FAULTS"); v != "" {
		kinds = nil
		for _, k := range strings.Split(v, ",") {
			k := faultKind(strings.TrimSpace(k))
			if !slices.Contains(allFaultKinds, k) {
				t.Fatalf("WSD_E2E_FAULTS: unknown fault %q, want some of %v", k, allFaultKinds)
			}
			kinds = append(kinds, k)
		}
	}
	t.Logf("fault rounds for %v, WSD_E2E_SEED=%d, faults %v", dur, seed, kinds)
	c := newCluster(t, clusterOpts{size: 3, netns: true})
	cfg := defaultFaultConfig()
	cfg.seed = seed
	cfg.checkTimeout = 5 * time.Minute
	cfg.after = 4 * time.Second
	r := newFaultRun(t, c, cfg)
	rng := rand.New(rand.NewPCG(seed, 0))
	for r.roundTime < dur && !t.Failed() {
		k := kinds[rng.IntN(len(kinds))]
		// Vary how long a fault lasts: up to three election timeouts more.
		extra := time.Duration(rng.Int64N(int64(3 * time.Second)))
		r.cfg.killFor = 2*time.Second + extra
		r.cfg.pauseFor = 3*time.Second + extra
		r.cfg.partitionFor = 4*time.Second + extra
		r.round(k)
	}
	r.runFailover(3)
	r.durability()
}
