package e2e

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// simulate produces a linearizable history of n operations by clients
// clients against the model, with about unknownPct percent of writes
// losing their answer (half of them taking effect).
func simulate(seed uint64, clients, n, unknownPct int) []opRecord {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := &workload{m: &wsModel{names: []string{"a", "b", "c", "d", "e"}, refs: []string{"m0", "m1", "m2"}}}
	type pending struct {
		r       opRecord
		lp      int64
		skip    bool
		unknown bool
	}
	var ops []pending
	for c := range clients {
		t := int64(rng.IntN(1000))
		for range n / clients {
			in := w.randomInput(c, rng)
			call := t
			lp := call + int64(rng.IntN(20_000))
			ret := lp + int64(rng.IntN(20_000))
			p := pending{r: opRecord{lane: c, in: in, call: call, ret: ret}, lp: lp}
			if in.kind.isWrite() && rng.IntN(100) < unknownPct {
				p.unknown = true
				p.skip = rng.IntN(2) == 0
			}
			ops = append(ops, p)
			t = ret + int64(rng.IntN(5_000))
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].lp < ops[j].lp })
	var s modelState
	var out []opRecord
	for _, p := range ops {
		o, next := modelStep(s, p.r.in)
		if !p.skip {
			s = next
		}
		p.r.out = o
		if p.unknown {
			p.r.out, p.r.ret = wsOutput{unknown: true}, infinity
		}
		out = append(out, p.r)
	}
	return out
}

func TestModel_checkScales(t *testing.T) {
	for _, tc := range []struct{ clients, n, unknownPct int }{
		{5, 3000, 0}, {5, 3000, 3}, {8, 3000, 3}, {5, 3000, 10},
	} {
		t.Run(fmt.Sprintf("%d clients %d ops %d%% unknown", tc.clients, tc.n, tc.unknownPct), func(t *testing.T) {
			m := &wsModel{names: []string{"a", "b", "c", "d", "e"}, refs: []string{"m0", "m1", "m2"}}
			hist := simulate(uint64(tc.n+tc.unknownPct), tc.clients, tc.n, tc.unknownPct)
			res, err := checkLinearizable(m, buildHistory(hist, nil, 0, time.Second), 60*time.Second, t.TempDir()+"/viz.html")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s in %v", res.result, res.took)
			if res.result != porcupine.Ok {
				t.Fatalf("a simulated linearizable history checks %s", res.result)
			}
		})
	}
}
