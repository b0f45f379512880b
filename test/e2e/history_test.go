package e2e

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// opRecord is one operation of the fault workload as it was observed: its
// input, its result (or that the result is unknown), and when it was
// called and returned, in nanoseconds since the workload's epoch.
type opRecord struct {
	lane int // visualization row; a client moves to a new lane after an unknown outcome
	in   wsInput
	out  wsOutput
	call int64
	ret  int64 // infinity when out.unknown
	node string
	// id is the workspace id a 201 create answered with.
	id string
	// detail describes the answer (status, error code or transport error).
	detail string
	// gaveUp is when the client had its answer or gave up (ret is
	// infinity for an unknown outcome; gaveUp never is).
	gaveUp int64
	// index is the answer's X-Wsd-Index: the log index of a write's
	// command, the state index a read was served from (0: none).
	index uint64
}

func (r opRecord) String() string {
	ret := "∞"
	if !r.out.unknown {
		ret = fmt.Sprint(time.Duration(r.ret))
	}
	return fmt.Sprintf("[%v..%s] lane %d via %s: %s %s(ws#%d ref#%d desc=%s) %s", time.Duration(r.call), ret, r.lane, r.node,
		map[bool]string{true: "unknown", false: "done"}[r.out.unknown], r.in.kind, r.in.ws, r.in.ref, descString(r.in.hasDesc, r.in.desc), r.detail)
}

// effects reports whether the record may have changed the state: a write
// that succeeded or whose outcome is unknown.
func (r opRecord) effects() bool {
	if !r.in.kind.isWrite() {
		return false
	}
	if r.out.unknown {
		return true
	}
	switch r.in.kind {
	case opCreate, opAcquire:
		return r.out.status == 201
	case opUpdate, opDelete, opRelease:
		return r.out.status == 200
	}
	return false
}

// latestEffect is the latest time at which the record's effect can take
// place: its return for a known outcome, call+settle for an unknown one.
// settle bounds how long the service may still act on a request whose
// answer was lost (leader wait + apply timeout + a pause), and the fault
// rounds leave at least that long before they rely on it.
func (r opRecord) latestEffect(settle time.Duration) int64 {
	if r.out.unknown {
		return r.call + int64(settle)
	}
	return r.ret
}

// toOperation converts a record for porcupine.
func (r opRecord) toOperation() porcupine.Operation {
	ret := r.ret
	if r.out.unknown {
		ret = infinity
	}
	return porcupine.Operation{ClientId: r.lane, Input: r.in, Call: r.call, Output: r.out, Return: ret, Metadata: r.node + " " + r.detail}
}

// buildHistory returns the porcupine history of one round: the round's
// records, plus carried, the writes of earlier rounds whose outcome is
// unknown and that may still take effect (moved to start, so they may be
// placed anywhere in this round up to the latest time they could take
// effect, their call plus settle: the bound doubleCreates and lostWrites
// use too, so that no check excuses what another one reports; the model
// lets an unknown write also not apply, so carrying one that had already
// taken effect before the round's initial state was read is harmless).
//
// An unknown create or update whose unique description a definite get of
// this round observed took effect before that get returned; its return
// time is tightened to that, which bounds the checker's search without
// changing the verdict.
func buildHistory(recs, carried []opRecord, start int64, settle time.Duration) []porcupine.Operation {
	seen := map[[2]string]int64{} // (ws, desc) → earliest return of a get that saw it
	for _, r := range recs {
		if r.in.kind == opGet && !r.out.unknown && r.out.status == 200 && r.out.hasDesc {
			k := [2]string{fmt.Sprint(r.in.ws), r.out.desc}
			if t, ok := seen[k]; !ok || r.ret < t {
				seen[k] = r.ret
			}
		}
	}
	ops := make([]porcupine.Operation, 0, len(recs)+len(carried))
	for _, r := range carried {
		op := r.toOperation()
		op.Call = start
		op.Return = max(start, r.latestEffect(settle))
		op.Metadata = "carried from an earlier round: " + fmt.Sprint(op.Metadata)
		ops = append(ops, op)
	}
	for _, r := range recs {
		op := r.toOperation()
		if r.out.unknown && (r.in.kind == opCreate || r.in.kind == opUpdate) && r.in.hasDesc {
			if t, ok := seen[[2]string{fmt.Sprint(r.in.ws), r.in.desc}]; ok && t >= r.call {
				op.Return = t
			}
		}
		ops = append(ops, op)
	}
	sortOps(ops)
	return ops
}

// carryOver selects the unknown writes among earlier that may still take
// effect after start.
func carryOver(earlier []opRecord, start int64, settle time.Duration) []opRecord {
	var out []opRecord
	for _, r := range earlier {
		if r.out.unknown && r.in.kind.isWrite() && r.latestEffect(settle) >= start {
			out = append(out, r)
		}
	}
	return out
}

// doubleCreates finds two 201 answers for one name with no delete that
// succeeded, or may have, in between.
func doubleCreates(recs []opRecord, names []string, settle time.Duration) []string {
	var creates, deletes [maxNames][]opRecord
	for _, r := range recs {
		switch {
		case r.in.kind == opCreate && !r.out.unknown && r.out.status == 201:
			creates[r.in.ws] = append(creates[r.in.ws], r)
		case r.in.kind == opDelete && r.effects():
			deletes[r.in.ws] = append(deletes[r.in.ws], r)
		}
	}
	var out []string
	for ws := range names {
		cs := creates[ws]
		sort.Slice(cs, func(i, j int) bool { return cs[i].call < cs[j].call })
		for i := 1; i < len(cs); i++ {
			a, b := cs[i-1], cs[i]
			between := false
			for _, d := range deletes[ws] {
				if d.call <= b.ret && d.latestEffect(settle) >= a.call {
					between = true
					break
				}
			}
			if !between {
				out = append(out, fmt.Sprintf("%s created twice with no delete in between:\n  %v (index %d, id %s)\n  %v (index %d, id %s)\n%s",
					names[ws], a, a.index, a.id, b, b.index, b.id, writesAround(recs, ws, a.call-int64(settle), b.ret)))
			}
		}
	}
	return out
}

// writesAround lists the writes on ws called between from and to, so that
// a finding shows what the checker weighed.
func writesAround(recs []opRecord, ws int, from, to int64) string {
	var b strings.Builder
	n := 0
	for _, r := range recs {
		if r.in.ws != ws || !r.in.kind.isWrite() || r.call < from || r.call > to {
			continue
		}
		if n++; n > 40 {
			b.WriteString("    ...\n")
			break
		}
		fmt.Fprintf(&b, "    %v (index %d)\n", r, r.index)
	}
	return b.String()
}

// finalOp returns the write among cands that certainly took effect last:
// a write with a known, successful outcome that every other candidate
// finished before it started. ok is false when no write qualifies (a
// later write's outcome is unknown, or writes overlap).
func finalOp(cands []opRecord, settle time.Duration) (last opRecord, ok bool) {
	for i, x := range cands {
		if x.out.unknown {
			continue
		}
		final := true
		for j, y := range cands {
			if i != j && y.latestEffect(settle) >= x.call {
				final = false
				break
			}
		}
		if final {
			return x, true
		}
	}
	return opRecord{}, false
}

// snapWorkspace is one workspace of a state snapshot.
type snapWorkspace struct {
	id      string
	hasDesc bool
	desc    string
	refs    []string // sorted entity names of the workload's entity type
}

// stateSnapshot is the service's state as read through the API.
type stateSnapshot map[string]snapWorkspace

func (s stateSnapshot) String() string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		w := s[n]
		fmt.Fprintf(&b, "%s{id=%s desc=%s refs=%v} ", n, w.id, descString(w.hasDesc, w.desc), w.refs)
	}
	return strings.TrimSpace(b.String())
}

// diffSnapshots lists the differences between two snapshots.
func diffSnapshots(before, after stateSnapshot) []string {
	var out []string
	for n, b := range before {
		a, ok := after[n]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("workspace %s (id %s) is gone", n, b.id))
		case a.id != b.id || a.hasDesc != b.hasDesc || a.desc != b.desc || fmt.Sprint(a.refs) != fmt.Sprint(b.refs):
			out = append(out, fmt.Sprintf("workspace %s was id=%s desc=%s refs=%v, now id=%s desc=%s refs=%v", n,
				b.id, descString(b.hasDesc, b.desc), b.refs, a.id, descString(a.hasDesc, a.desc), a.refs))
		}
	}
	for n, a := range after {
		if _, ok := before[n]; !ok {
			out = append(out, fmt.Sprintf("workspace %s (id %s) appeared", n, a.id))
		}
	}
	sort.Strings(out)
	return out
}

// lostWrites compares a final snapshot with what the acknowledged writes
// of recs imply: for each name and each reference, the write that
// certainly took effect last must be visible (a create with its id and
// description, an update's description, a delete's absence, an acquire's
// or a release's reference). extra are acknowledged creates of names
// outside the universe (created once, never deleted), as name → id.
func lostWrites(recs []opRecord, m *wsModel, final stateSnapshot, extra map[string]string, settle time.Duration) []string {
	var out []string
	for ws, name := range m.names {
		var cands []opRecord
		for _, r := range recs {
			if r.in.ws == ws && r.effects() && (r.in.kind == opCreate || r.in.kind == opUpdate || r.in.kind == opDelete) {
				cands = append(cands, r)
			}
		}
		got, exists := final[name]
		if x, ok := finalOp(cands, settle); ok {
			switch x.in.kind {
			case opCreate, opUpdate:
				switch {
				case !exists:
					out = append(out, fmt.Sprintf("%s: acknowledged %v, but the workspace is gone", name, x))
				case x.in.kind == opCreate && x.id != "" && got.id != x.id:
					out = append(out, fmt.Sprintf("%s: acknowledged %v answered id %s, the workspace has id %s", name, x, x.id, got.id))
				case got.hasDesc != x.in.hasDesc || got.desc != x.in.desc:
					out = append(out, fmt.Sprintf("%s: acknowledged %v, but the description is %s", name, x, descString(got.hasDesc, got.desc)))
				}
			case opDelete:
				if exists {
					out = append(out, fmt.Sprintf("%s: acknowledged %v, but the workspace exists (id %s)", name, x, got.id))
				}
			}
		}
		for ref, refName := range m.refs {
			var cands []opRecord
			for _, r := range recs {
				if r.in.ws != ws {
					continue
				}
				switch {
				case (r.in.kind == opAcquire || r.in.kind == opRelease) && r.in.ref == ref && r.effects():
					cands = append(cands, r)
				case r.in.kind == opAcquire && r.in.ref == ref && !r.out.unknown && r.out.status == 200:
					cands = append(cands, r) // already held: confirms it
				case (r.in.kind == opCreate || r.in.kind == opDelete) && r.effects():
					cands = append(cands, r)
				}
			}
			x, ok := finalOp(cands, settle)
			if !ok {
				continue
			}
			held := exists && containsString(got.refs, workloadEntityType+"/"+refName)
			switch {
			case x.in.kind == opAcquire && !held:
				out = append(out, fmt.Sprintf("%s/%s: acknowledged %v, but the reference is not held", name, refName, x))
			case x.in.kind != opAcquire && held:
				out = append(out, fmt.Sprintf("%s/%s: acknowledged %v, but the reference is held", name, refName, x))
			}
		}
	}
	for name, id := range extra {
		got, ok := final[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: acknowledged create (id %s), but the workspace is gone", name, id))
		case got.id != id:
			out = append(out, fmt.Sprintf("%s: acknowledged create answered id %s, the workspace has id %s", name, id, got.id))
		}
	}
	sort.Strings(out)
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
