package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/wsd-dev/wsd/client"
)

// Fault rounds: a workload runs against a cluster in network namespaces
// while one fault is injected, held, and healed; then the workload stops,
// the nodes must converge on one state digest, and the round's history is
// checked for linearizability against the model. After the rounds, a
// load balancer run measures failover, and a crash of every node checks
// that every acknowledged write survives.

// faultKind is one kind of fault round.
type faultKind string

const (
	faultKillLeader        faultKind = "kill-leader"
	faultKillFollower      faultKind = "kill-follower"
	faultPauseLeader       faultKind = "pause-leader"
	faultPauseFollower     faultKind = "pause-follower"
	faultPartitionLeader   faultKind = "partition-leader"
	faultPartitionFollower faultKind = "partition-follower"
	// faultPartitionBridge cuts the followers from each other; the leader
	// still reaches both.
	faultPartitionBridge faultKind = "partition-bridge"
	// faultCrashAll kills every node at once and restarts them.
	faultCrashAll faultKind = "crash-all"
	// faultRestartLeader stops the leader gracefully (SIGTERM) and starts
	// it again, as a rolling update does.
	faultRestartLeader faultKind = "restart-leader"
	// faultPartitionHealCut isolates the leader, heals it and immediately
	// isolates the leader the others elected meanwhile (issue 12,
	// finding 1).
	faultPartitionHealCut faultKind = "partition-heal-then-cut"
)

var allFaultKinds = []faultKind{
	faultKillLeader, faultKillFollower, faultPauseLeader, faultPauseFollower,
	faultPartitionLeader, faultPartitionFollower, faultPartitionBridge, faultCrashAll,
	faultRestartLeader, faultPartitionHealCut,
}

// class is the summary's name for the kind.
func (k faultKind) class() string {
	s, _, _ := strings.Cut(string(k), "-")
	return s
}

// faultConfig tunes a fault run.
type faultConfig struct {
	clients int
	// warmup is how long the workload runs before the fault, after how
	// long it runs after the heal.
	warmup, after time.Duration
	// killFor, pauseFor and partitionFor hold each fault.
	killFor, pauseFor, partitionFor time.Duration
	// checkTimeout bounds the linearizability check of one history; a
	// check that runs out is reported as inconclusive.
	checkTimeout time.Duration
	// settle bounds how long a request whose answer was lost may still
	// take effect (see opRecord.latestEffect).
	settle time.Duration
	seed   uint64
}

func defaultFaultConfig() faultConfig {
	return faultConfig{
		clients:      5,
		warmup:       1500 * time.Millisecond,
		after:        2 * time.Second,
		killFor:      2 * time.Second,
		pauseFor:     3 * time.Second, // longer than the 1s election timeout
		partitionFor: 4 * time.Second,
		checkTimeout: 60 * time.Second,
		settle:       30 * time.Second,
		seed:         1,
	}
}

// faultRun is one run of fault rounds against one cluster.
type faultRun struct {
	t   *testing.T
	c   *testCluster
	cfg faultConfig
	m   *wsModel // names and refs; init and base are per round
	w   *workload

	rounds       int
	roundTime    time.Duration
	faults       map[string]int
	histories    int
	violations   int
	inconclusive int
	lost         int
	doubles      int
	orphans      int
	failover     failoverResult
	// probes are linearizable reads of every universe name after each
	// round, for the late-write check.
	probes []opRecord
	late   []string
}

// newFaultRun prepares a workload on c; the summary line is logged when
// the test ends, also when it fails.
func newFaultRun(t *testing.T, c *testCluster, cfg faultConfig) *faultRun {
	m := &wsModel{
		names: []string{"ws-a", "ws-b", "ws-c", "ws-d", "ws-e"},
		refs:  []string{"m0", "m1", "m2"},
		base:  -1,
	}
	r := &faultRun{t: t, c: c, cfg: cfg, m: m, w: newWorkload(c, m, cfg.clients), faults: map[string]int{}}
	t.Cleanup(func() {
		r.w.shutdown() // when the test failed during a round
		t.Log(r.summary())
	})
	return r
}

// summary is the run's one summary line.
func (r *faultRun) summary() string {
	st, problems := r.w.counts()
	ws := r.waits()
	return fmt.Sprintf("faults summary: ops=%d ok=%d unknown=%d dropped=%d rounds=%d fault_time=%s faults{kill=%d pause=%d partition=%d crash=%d restart=%d} "+
		"histories=%d linearizability_violations=%d inconclusive=%d lost_acknowledged_writes=%d double_creates=%d orphan_refs=%d bad_answers=%d "+
		"max_wait=%s (deadline %s, limit %s) over_deadline=%d waits_on_stopped_nodes=%d late_applied_writes=%d %s",
		st.ops, st.ok, st.unknown, st.dropped, r.rounds, r.roundTime.Round(time.Second),
		r.faults["kill"], r.faults["pause"], r.faults["partition"], r.faults["crash"], r.faults["restart"],
		r.histories, r.violations, r.inconclusive, r.lost, r.doubles, r.orphans,
		problems+len(r.failover.problems),
		ws.longest.Round(time.Millisecond), r.w.deadline, r.w.deadline+deadlineMargin, len(ws.over), ws.excluded, len(r.lateWrites()),
		r.failover)
}

// waits checks every request's wait so far.
func (r *faultRun) waits() waitSummary {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	return checkWaits(r.w.waits, r.w.paused, r.w.deadline+deadlineMargin)
}

// lateWrites checks the history so far for writes applied after their
// client gave up.
func (r *faultRun) lateWrites() []string {
	return lateWrites(r.w.all(), r.probes, r.m.names)
}

// probe reads every universe name linearizably through the leader and
// keeps the answers for the late-write check.
func (r *faultRun) probe() {
	hc := &http.Client{Timeout: r.w.timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	l := r.c.leader()
	for ws := range r.m.names {
		in := wsInput{kind: opGet, ws: ws}
		method, target, body := r.w.request(l, in)
		call := r.w.now()
		a := sendOp(hc, method, target, body, r.w.deadline)
		ret := r.w.now()
		c := classify(in, a, r.w.refIndex)
		if c.verdict != definite {
			continue
		}
		rec := opRecord{lane: -1, in: in, out: c.out, call: call, ret: ret, gaveUp: ret, node: l.id, detail: "probe after the round"}
		rec.index, _ = strconv.ParseUint(a.index, 10, 64)
		r.probes = append(r.probes, rec)
	}
}

// readSnapshot reads every workspace, and the references of the
// universe's, from n.
func (r *faultRun) readSnapshot(n *node, consistency string) (stateSnapshot, int, error) {
	var all []wsBody
	total := -1
	for page := 1; total < 0 || len(all) < total; page++ {
		var l listBody
		if err := r.c.getJSON(fmt.Sprintf("%s%s/workspaces?page=%d&page_size=1000&sort=name&consistency=%s", n.url(), base, page, consistency), &l); err != nil {
			return nil, 0, err
		}
		switch {
		case total >= 0 && l.Pagination.TotalResults != total:
			return nil, 0, fmt.Errorf("total_results changed from %d to %d while paging", total, l.Pagination.TotalResults)
		case len(l.Data) == 0 && len(all) < l.Pagination.TotalResults:
			return nil, 0, fmt.Errorf("page %d is empty after %d of %d workspaces", page, len(all), l.Pagination.TotalResults)
		}
		total = l.Pagination.TotalResults
		all = append(all, l.Data...)
	}
	if len(all) != total {
		return nil, 0, fmt.Errorf("the pages hold %d workspaces, total_results is %d", len(all), total)
	}
	snap := stateSnapshot{}
	for _, w := range all {
		if _, dup := snap[w.Name]; dup {
			return nil, 0, fmt.Errorf("workspace %s is listed twice", w.Name)
		}
		s := snapWorkspace{id: w.ID}
		if w.Description != nil {
			s.hasDesc, s.desc = true, *w.Description
		}
		if containsString(r.m.names, w.Name) {
			var page struct {
				Data []struct {
					EntityType string `json:"entity_type"`
					EntityName string `json:"entity_name"`
				} `json:"data"`
			}
			if err := r.c.getJSON(n.url()+base+"/workspaces/"+url.PathEscape(w.Name)+"/entity-refs?page_size=1000&consistency="+consistency, &page); err != nil {
				return nil, 0, err
			}
			for _, ref := range page.Data {
				s.refs = append(s.refs, ref.EntityType+"/"+ref.EntityName)
			}
			sort.Strings(s.refs)
		}
		snap[w.Name] = s
	}
	return snap, total, nil
}

// mustSnapshot reads a snapshot with linearizable reads, retrying while
// the cluster settles.
func (r *faultRun) mustSnapshot() (stateSnapshot, int) {
	r.t.Helper()
	var (
		snap  stateSnapshot
		total int
	)
	eventually(r.t, 30*time.Second, "read the cluster's state", func() error {
		var err error
		snap, total, err = r.readSnapshot(r.c.leader(), "linearizable")
		return err
	})
	return snap, total
}

// modelState turns a snapshot into the model's initial state and the
// count of workspaces outside the universe.
func (r *faultRun) modelState(snap stateSnapshot, total int) (modelState, int) {
	var s modelState
	n := 0
	for i, name := range r.m.names {
		w, ok := snap[name]
		if !ok {
			continue
		}
		n++
		s.ws[i] = wsState{exists: true, hasDesc: w.hasDesc, desc: w.desc}
		for j, ref := range r.m.refs {
			if containsString(w.refs, workloadEntityType+"/"+ref) {
				s.ws[i].refs |= 1 << j
			}
		}
	}
	return s, total - n
}

// round runs one fault round and checks its history.
func (r *faultRun) round(kind faultKind) {
	t := r.t
	t.Helper()
	r.rounds++
	snap, total := r.mustSnapshot()
	init, others := r.modelState(snap, total)
	if r.m.base >= 0 && others != r.m.base {
		t.Errorf("round %d: %d workspaces outside the universe, %d before", r.rounds, others, r.m.base)
	}
	m := &wsModel{names: r.m.names, refs: r.m.refs, init: init, base: others}
	r.m.base = others

	start := r.w.now()
	carried := carryOver(r.w.all(), start, r.cfg.settle)
	from := r.w.mark()
	begin := time.Now()
	r.w.start(r.cfg.seed + uint64(r.rounds))
	time.Sleep(r.cfg.warmup)
	desc := r.inject(kind)
	time.Sleep(r.cfg.after)
	recs := r.w.halt(from)
	r.c.sameDigest(60 * time.Second)
	r.probe()
	r.roundTime += time.Since(begin)
	r.faults[kind.class()]++

	ops := buildHistory(recs, carried, start, r.cfg.settle)
	name := fmt.Sprintf("round%02d-%s", r.rounds, kind)
	res, err := checkLinearizable(m, ops, r.cfg.checkTimeout, vizPathFor(t.Name(), name))
	if err != nil {
		t.Errorf("%s: writing the visualization: %v", name, err)
	}
	r.histories++
	unknown := 0
	for _, rec := range recs {
		if rec.out.unknown {
			unknown++
		}
	}
	longest := time.Duration(0)
	for _, rec := range recs {
		longest = max(longest, time.Duration(rec.gaveUp-rec.call))
	}
	t.Logf("%s (%s): %d operations (%d unknown outcome, %d carried over, longest wait %v), %v in the round, check %s in %v",
		name, desc, len(recs), unknown, len(carried), longest.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond), res.result, res.took.Round(time.Millisecond))
	switch res.result {
	case porcupine.Illegal:
		r.violations++
		t.Errorf("%s: the history is not linearizable; visualization: %s", name, res.vizPath)
	case porcupine.Unknown:
		r.inconclusive++
		t.Logf("%s: the linearizability check did not finish within %v", name, r.cfg.checkTimeout)
	}
}

// inject applies one fault, holds it, heals it, and waits until every
// node is ready under one leader again. It returns what it did.
func (r *faultRun) inject(kind faultKind) string {
	t, c := r.t, r.c
	t.Helper()
	l := c.leader()
	fs := c.followers(l)
	target := l
	if strings.HasSuffix(string(kind), "follower") {
		target = fs[0]
	}
	var desc string
	switch kind {
	case faultKillLeader, faultKillFollower:
		desc = "kill -9 " + target.id
		c.kill(target)
		time.Sleep(r.cfg.killFor)
		c.restart(target)
	case faultPauseLeader, faultPauseFollower:
		desc = "SIGSTOP " + target.id
		from := r.w.now()
		c.pause(target)
		time.Sleep(r.cfg.pauseFor)
		c.resume(target)
		r.w.markPaused(target.id, from, r.w.now())
	case faultPartitionLeader, faultPartitionFollower:
		desc = "isolate " + target.id
		if err := c.net.isolate(c, target); err != nil {
			t.Fatal(err)
		}
		time.Sleep(r.cfg.partitionFor)
		if err := c.net.heal(); err != nil {
			t.Fatal(err)
		}
	case faultPartitionBridge:
		desc = fmt.Sprintf("cut %s from %s (leader %s sees both)", fs[0].id, fs[1].id, l.id)
		if err := c.net.cut(fs[0], fs[1]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(r.cfg.partitionFor)
		if err := c.net.heal(); err != nil {
			t.Fatal(err)
		}
	case faultPartitionHealCut:
		if err := c.net.isolate(c, l); err != nil {
			t.Fatal(err)
		}
		time.Sleep(r.cfg.partitionFor)
		nl := c.leaderAmong(fs...)
		if err := c.net.heal(); err != nil {
			t.Fatal(err)
		}
		if err := c.net.isolate(c, nl); err != nil {
			t.Fatal(err)
		}
		desc = fmt.Sprintf("isolate %s, heal, isolate the new leader %s", l.id, nl.id)
		time.Sleep(r.cfg.partitionFor)
		if err := c.net.heal(); err != nil {
			t.Fatal(err)
		}
	case faultRestartLeader:
		desc = "SIGTERM " + target.id
		c.stop(target)
		c.restart(target)
	case faultCrashAll:
		desc = "kill -9 every node"
		for _, n := range c.nodes {
			c.kill(n)
		}
		time.Sleep(r.cfg.killFor / 2)
		for _, n := range c.nodes {
			c.restart(n)
		}
	default:
		t.Fatalf("unknown fault %q", kind)
	}
	c.waitReady(c.nodes...)
	c.leader()
	return desc
}

// runFailover runs the load balancer measurement.
func (r *faultRun) runFailover(kills int) {
	r.failover = runFailover(r.t, r.c, kills)
	if r.failover.ran {
		r.faults["kill"] += kills
	}
}

// durability checks the final state against the acknowledged writes,
// kills every node, restarts them, and checks that nothing changed.
func (r *faultRun) durability() {
	t, c := r.t, r.c
	t.Helper()
	c.sameDigest(60 * time.Second)
	before, _ := r.mustSnapshot()
	all := r.w.all()
	problems := lostWrites(all, r.m, before, r.failover.acked, r.cfg.settle)
	digest := c.sameDigest(30 * time.Second)

	for _, n := range c.nodes {
		c.kill(n)
	}
	for _, n := range c.nodes {
		c.restart(n)
	}
	r.faults["crash"]++
	c.waitReady(c.nodes...)
	c.leader()
	if after := c.sameDigest(60 * time.Second); after != digest {
		problems = append(problems, fmt.Sprintf("state digest %s after a crash of every node, %s before", after, digest))
	}
	after, _ := r.mustSnapshot()
	for _, d := range diffSnapshots(before, after) {
		problems = append(problems, "after a crash of every node: "+d)
	}
	r.lost = len(problems)
	for _, p := range problems {
		t.Errorf("lost acknowledged write: %s", p)
	}

	doubles := doubleCreates(all, r.m.names, r.cfg.settle)
	r.doubles = len(doubles)
	for _, d := range doubles {
		t.Errorf("%s", d)
	}
	r.probeOrphanRefs(after)

	ws := r.waits()
	for i, o := range ws.over {
		if i == 20 {
			t.Errorf("... and %d more answers past their deadline", len(ws.over)-20)
			break
		}
		t.Errorf("answer past its deadline: %s", o)
	}
	r.late = r.lateWrites()
	for _, l := range r.late {
		t.Errorf("write applied after its client gave up: %s", l)
	}

	problemsSeen := append(append([]string(nil), r.w.problems...), r.failover.problems...)
	for i, p := range problemsSeen {
		if i == 20 {
			t.Errorf("... and %d more bad answers", len(problemsSeen)-20)
			break
		}
		t.Errorf("bad opAnswer: %s", p)
	}
}

// probeOrphanRefs shows that no reference outlives its workspace: a
// reference of a deleted workspace would come back when the name is
// created again, so each universe name that does not exist is created,
// its references and usage read, and deleted again.
func (r *faultRun) probeOrphanRefs(final stateSnapshot) {
	t, c := r.t, r.c
	t.Helper()
	cl := c.client(c.nodes...)
	defer cl.Close()
	lin := client.WithConsistency(client.ConsistencyLinearizable)
	for _, name := range r.m.names {
		if _, ok := final[name]; ok {
			continue
		}
		if _, err := cl.CreateWorkspace(ctxT(t, 30*time.Second), name); err != nil {
			t.Fatalf("create probe workspace %s: %v", name, err)
		}
		refs, err := cl.ListRefs(ctxT(t, 30*time.Second), name, client.RefListOptions{PageSize: 1000}, lin)
		if err != nil {
			t.Fatalf("references of probe workspace %s: %v", name, err)
		}
		usage, err := cl.Usage(ctxT(t, 30*time.Second), name, lin)
		if err != nil {
			t.Fatalf("usage of probe workspace %s: %v", name, err)
		}
		if len(refs.Data) != 0 || usage.Total != 0 {
			r.orphans += max(len(refs.Data), usage.Total)
			t.Errorf("workspace %s, created again, starts with references %+v (usage total %d): they outlived the deleted workspace", name, refs.Data, usage.Total)
			continue
		}
		if _, err := cl.DeleteWorkspace(ctxT(t, 30*time.Second), name); err != nil {
			t.Fatalf("delete probe workspace %s: %v", name, err)
		}
	}
}

// TestFaults_short runs one round of each kind of fault (kill, pause and
// partition of the leader and of a follower, a partition between the
// followers, a crash of every node, a graceful restart of the leader, the
// leader isolated, healed and the new leader isolated at once), the load
// balancer run and the full-crash durability check; about two minutes.
func TestFaults_short(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3, netns: true})
	r := newFaultRun(t, c, defaultFaultConfig())
	// The graceful restart first, on a cluster that has not seen a fault
	// yet, as in a rolling update; the rest in the order of allFaultKinds.
	r.round(faultRestartLeader)
	for _, k := range allFaultKinds {
		if k != faultRestartLeader {
			r.round(k)
		}
	}
	r.runFailover(1)
	r.durability()
}

// TestFaults_checkerCatchesStaleRead plants a bug, a read served from a
// partitioned follower's stale state but recorded as a linearizable read,
// and shows that the checker rejects the history. The same follower asked
// for a real linearizable read must not answer with the stale value.
func TestFaults_checkerCatchesStaleRead(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3, netns: true})
	l := c.leader()
	victim := c.followers(l)[0]
	m := &wsModel{names: []string{"planted"}, refs: []string{"m0"}, base: 2}
	w := newWorkload(c, m, 1)
	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	create := w.exec(hc, l, wsInput{kind: opCreate, hasDesc: true, desc: "v1"}, 0)
	if create.out.unknown || create.out.status != 201 {
		t.Fatalf("create: %v", create)
	}
	c.sameDigest(20 * time.Second) // the victim has v1
	if err := c.net.isolate(c, victim); err != nil {
		t.Fatal(err)
	}
	update := w.exec(hc, l, wsInput{kind: opUpdate, hasDesc: true, desc: "v2"}, 0)
	if update.out.unknown || update.out.status != 200 {
		t.Fatalf("update: %v", update)
	}

	// The planted bug: a stale read, recorded as a linearizable one.
	call := w.now()
	sr, err := c.do(http.MethodGet, victim.url()+base+"/workspaces/planted?consistency=stale", nil)
	ret := w.now()
	var got wsBody
	if err != nil || sr.code != http.StatusOK || json.Unmarshal(sr.body, &got) != nil || got.Description == nil {
		t.Fatalf("stale read on the partitioned %s: %v %v", victim.id, sr, err)
	}
	if *got.Description != "v1" {
		t.Fatalf("the partitioned %s already has description %q: the partition did not hold", victim.id, *got.Description)
	}
	stale := opRecord{lane: 1, in: wsInput{kind: opGet}, out: wsOutput{status: 200, hasDesc: true, desc: "v1"},
		call: call, ret: ret, node: victim.id, detail: "consistency=stale, recorded as linearizable"}
	res, err := checkLinearizable(m, buildHistory([]opRecord{create, update, stale}, nil, 0, time.Second), 10*time.Second, vizPathFor(t.Name(), ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.result != porcupine.Illegal {
		t.Fatalf("the checker says %s for a history with a stale read after an acknowledged update; want %s", res.result, porcupine.Illegal)
	}
	t.Logf("the checker rejects the planted stale read; visualization: %s", res.vizPath)

	// The real thing: a linearizable read on the same node answers the new
	// value or 503, never the stale one.
	from := w.mark()
	real := w.exec(hc, victim, wsInput{kind: opGet}, 2)
	kept := w.all()[from:]
	t.Logf("linearizable read on the partitioned %s: %s", victim.id, real.detail)
	res, err = checkLinearizable(m, buildHistory(append([]opRecord{create, update}, kept...), nil, 0, time.Second), 10*time.Second, vizPathFor(t.Name(), "real"))
	if err != nil {
		t.Fatal(err)
	}
	if res.result != porcupine.Ok {
		t.Errorf("a linearizable read on a partitioned follower answered %s (%s): the history is %s; visualization: %s",
			descString(real.out.hasDesc, real.out.desc), real.detail, res.result, res.vizPath)
	}
	if err := c.net.heal(); err != nil {
		t.Fatal(err)
	}
	c.sameDigest(30 * time.Second)
}
