package e2e

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// Client-visible checks of the fault workload, beyond linearizability
// (which accepts an abandoned write taking effect at any later time, and
// a request waiting as long as it likes):
//
//   - waits: every request carries X-Wsd-Timeout (workload.deadline) and
//     must be answered within it plus deadlineMargin, unless the node it
//     was sent to was stopped (SIGSTOP) while it waited: nobody can
//     answer for a stopped process, which a load balancer treats as dead.
//   - late writes: no write whose client gave up may take effect after
//     that. Checked from the history with log indexes: an unknown create
//     or update W (its description is unique) that a read at state index
//     s shows as the workspace's current description, while an
//     acknowledged write X of the same workspace that started after W's
//     client gave up has index i_X <= s, was applied after X (X changed the
//     description or the workspace's existence at i_X, so W's index is
//     above it), hence after its client gave up.

// waitRecord is one request's target and times, in workload time.
type waitRecord struct {
	node      string
	call, ret int64
	desc      string
}

// pauseRecord is an interval during which a node was stopped.
type pauseRecord struct {
	node     string
	from, to int64
}

// markPaused records that node was stopped from from to to.
func (w *workload) markPaused(node string, from, to int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = append(w.paused, pauseRecord{node, from, to})
}

// waitSummary is what the wait check found.
type waitSummary struct {
	longest     time.Duration // among the requests that count
	longestDesc string
	counted     int
	excluded    int      // sent to a stopped node
	over        []string // answered later than deadline + deadlineMargin
}

// checkWaits measures the requests' waits against limit.
func checkWaits(waits []waitRecord, paused []pauseRecord, limit time.Duration) waitSummary {
	var s waitSummary
	for _, w := range waits {
		stopped := false
		for _, p := range paused {
			if p.node == w.node && p.from <= w.ret && p.to >= w.call {
				stopped = true
				break
			}
		}
		if stopped {
			s.excluded++
			continue
		}
		s.counted++
		d := time.Duration(w.ret - w.call)
		if d > s.longest {
			s.longest, s.longestDesc = d, w.desc
		}
		if d > limit {
			s.over = append(s.over, fmt.Sprintf("waited %v (limit %v) at %v: %s", d.Round(time.Millisecond), limit, time.Duration(w.call).Round(time.Millisecond), w.desc))
		}
	}
	return s
}

// lateWrites finds unknown writes that took effect after their client gave
// up (see above). recs are the workload's records, probes extra definite
// reads (made after rounds).
func lateWrites(recs, probes []opRecord, names []string) []string {
	type wsRecs struct {
		acked []opRecord // definite state-changing writes with an index
		reads []opRecord // definite gets that saw a description
	}
	by := make([]wsRecs, len(names))
	var unknown []opRecord
	for _, r := range append(append([]opRecord(nil), recs...), probes...) {
		if r.in.ws < 0 || r.in.ws >= len(names) {
			continue
		}
		switch {
		case r.out.unknown && (r.in.kind == opCreate || r.in.kind == opUpdate) && r.in.hasDesc:
			unknown = append(unknown, r)
		case r.out.unknown || r.index == 0:
		case r.in.kind == opGet && r.out.status == 200 && r.out.hasDesc:
			by[r.in.ws].reads = append(by[r.in.ws].reads, r)
		case r.effects() && (r.in.kind == opCreate || r.in.kind == opUpdate || r.in.kind == opDelete):
			by[r.in.ws].acked = append(by[r.in.ws].acked, r)
		}
	}
	var out []string
	for _, w := range unknown {
		g := by[w.in.ws]
		// The earliest-indexed acknowledged write started after w's client
		// gave up.
		var first *opRecord
		for i, x := range g.acked {
			if x.call > w.gaveUp && (first == nil || x.index < first.index) {
				first = &g.acked[i]
			}
		}
		if first == nil {
			continue
		}
		for _, rd := range g.reads {
			if rd.out.desc == w.in.desc && rd.index >= first.index {
				out = append(out, fmt.Sprintf("%s: the write %v, given up at %v, took effect after %v (index %d): %v reads it at state index %d",
					names[w.in.ws], w, time.Duration(w.gaveUp).Round(time.Millisecond), *first, first.index, rd, rd.index))
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestLateWrites_checker: the late-write check on hand-written histories
// (no cluster).
func TestLateWrites_checker(t *testing.T) {
	names := []string{"a", "b"}
	// unknown update "v2" given up at 10; acknowledged update "v3" called
	// at 20 with index 9.
	v2 := hop(0, 0, -1, inUpdate(0, "v2"), wsOutput{})
	v2.gaveUp = 10
	v3 := hop(1, 20, 25, inUpdate(0, "v3"), outStatus(200))
	v3.index = 9
	read := func(call int64, desc string, idx uint64) opRecord {
		r := hop(2, call, call+1, inGet(0), outDesc(desc))
		r.index = idx
		return r
	}
	for _, tc := range []struct {
		name string
		recs []opRecord
		late int
	}{
		{"v2 read after v3 at a later index: late", []opRecord{v2, v3, read(30, "v2", 10)}, 1},
		{"v2 read at the index of v3 or later, in a probe", []opRecord{v2, v3}, 1},
		{"v2 read before v3's index: applied in time", []opRecord{v2, v3, read(5, "v2", 8)}, 0},
		{"v3 read: v2 never seen after it", []opRecord{v2, v3, read(30, "v3", 10)}, 0},
		{"no write after the give-up", []opRecord{v2, read(30, "v2", 10)}, 0},
		{"another workspace's write does not count", []opRecord{v2, func() opRecord { x := v3; x.in.ws = 1; return x }(), read(30, "v2", 10)}, 0},
	} {
		var probes []opRecord
		if tc.name == "v2 read at the index of v3 or later, in a probe" {
			probes = []opRecord{read(40, "v2", 9)}
		}
		if got := lateWrites(tc.recs, probes, names); len(got) != tc.late {
			t.Errorf("%s: %d late writes %v, want %d", tc.name, len(got), got, tc.late)
		}
	}
}

func TestCheckWaits(t *testing.T) {
	s := int64(time.Second)
	waits := []waitRecord{
		{node: "n1", call: 0, ret: 2 * s},
		{node: "n2", call: 0, ret: 9 * s},  // over the limit
		{node: "n3", call: 0, ret: 20 * s}, // its node was stopped meanwhile
	}
	got := checkWaits(waits, []pauseRecord{{node: "n3", from: 5 * s, to: 8 * s}}, 6*time.Second)
	if got.longest != 9*time.Second || got.counted != 2 || got.excluded != 1 || len(got.over) != 1 {
		t.Fatalf("checkWaits = %+v", got)
	}
}
