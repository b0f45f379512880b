package e2e

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// Unit tests of the model and of the history checks, on hand-written
// histories: no cluster needed.

func testModel() *wsModel {
	return &wsModel{names: []string{"a", "b"}, refs: []string{"m0", "m1"}, base: 2}
}

// h is a hand-written history entry: [call, ret] on lane, ret < 0 for an
// unknown outcome.
func hop(lane int, call, ret int64, in wsInput, out wsOutput) opRecord {
	r := opRecord{lane: lane, in: in, out: out, call: call, ret: ret}
	if ret < 0 {
		r.out, r.ret = wsOutput{unknown: true}, infinity
	}
	return r
}

func inCreate(ws int, desc string) wsInput {
	return wsInput{kind: opCreate, ws: ws, hasDesc: true, desc: desc}
}
func inUpdate(ws int, desc string) wsInput {
	return wsInput{kind: opUpdate, ws: ws, hasDesc: true, desc: desc}
}
func inDelete(ws int) wsInput       { return wsInput{kind: opDelete, ws: ws} }
func inGet(ws int) wsInput          { return wsInput{kind: opGet, ws: ws} }
func inAcquire(ws, ref int) wsInput { return wsInput{kind: opAcquire, ws: ws, ref: ref} }
func inRelease(ws, ref int) wsInput { return wsInput{kind: opRelease, ws: ws, ref: ref} }
func inRefs(ws int) wsInput         { return wsInput{kind: opRefs, ws: ws} }
func inList() wsInput               { return wsInput{kind: opList} }
func outStatus(code int) wsOutput   { return wsOutput{status: code} }
func outDesc(d string) wsOutput     { return wsOutput{status: 200, hasDesc: true, desc: d} }
func outRefs(bits uint8) wsOutput   { return wsOutput{status: 200, refs: bits} }
func outTotal(n int) wsOutput       { return wsOutput{status: 200, total: n} }

func TestModel_check(t *testing.T) {
	for _, tc := range []struct {
		name string
		hist []opRecord
		want porcupine.CheckResult
	}{
		{"sequential lifecycle", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 3, inGet(0), outDesc("x")),
			hop(0, 4, 5, inUpdate(0, "y"), outStatus(200)),
			hop(0, 6, 7, inAcquire(0, 1), outStatus(201)),
			hop(0, 8, 9, inAcquire(0, 1), outStatus(200)),
			hop(0, 10, 11, inRefs(0), outRefs(2)),
			hop(0, 12, 13, inDelete(0), outStatus(409)),
			hop(0, 14, 15, inList(), outTotal(3)),
			hop(0, 16, 17, inRelease(0, 1), outStatus(200)),
			hop(0, 18, 19, inRelease(0, 1), outStatus(404)),
			hop(0, 20, 21, inDelete(0), outStatus(200)),
			hop(0, 22, 23, inGet(0), outStatus(404)),
			hop(0, 24, 25, inAcquire(0, 0), outStatus(404)),
			hop(0, 26, 27, inList(), outTotal(2)),
			hop(0, 28, 29, inCreate(0, "z"), outStatus(201)),
			hop(0, 30, 31, inRefs(0), outRefs(0)),
		}, porcupine.Ok},
		{"stale read after an acknowledged update", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 3, inUpdate(0, "y"), outStatus(200)),
			hop(1, 4, 5, inGet(0), outDesc("x")),
		}, porcupine.Illegal},
		{"read concurrent with an update sees the old value", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 6, inUpdate(0, "y"), outStatus(200)),
			hop(1, 3, 4, inGet(0), outDesc("x")),
			hop(1, 7, 8, inGet(0), outDesc("y")),
		}, porcupine.Ok},
		{"read concurrent with an update sees the new value", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 6, inUpdate(0, "y"), outStatus(200)),
			hop(1, 3, 4, inGet(0), outDesc("y")),
		}, porcupine.Ok},
		{"new value then old value", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 9, inUpdate(0, "y"), outStatus(200)),
			hop(1, 3, 4, inGet(0), outDesc("y")),
			hop(2, 5, 6, inGet(0), outDesc("x")),
		}, porcupine.Illegal},
		{"two creates without a delete", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(1, 2, 3, inCreate(0, "y"), outStatus(201)),
		}, porcupine.Illegal},
		{"concurrent creates, one wins", []opRecord{
			hop(0, 0, 3, inCreate(0, "x"), outStatus(409)),
			hop(1, 1, 2, inCreate(0, "y"), outStatus(201)),
			hop(2, 4, 5, inGet(0), outDesc("y")),
		}, porcupine.Ok},
		{"delete while a reference is held", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 3, inAcquire(0, 0), outStatus(201)),
			hop(1, 4, 5, inDelete(0), outStatus(200)),
		}, porcupine.Illegal},
		{"reference granted in a deleted workspace", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 3, inDelete(0), outStatus(200)),
			hop(1, 4, 5, inAcquire(0, 0), outStatus(201)),
		}, porcupine.Illegal},
		{"reference and delete race, delete first", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 5, inDelete(0), outStatus(200)),
			hop(1, 3, 4, inAcquire(0, 0), outStatus(404)),
		}, porcupine.Ok},
		{"reference outlives its workspace", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 3, inDelete(0), outStatus(200)),
			hop(0, 4, 5, inCreate(0, "y"), outStatus(201)),
			hop(0, 6, 7, inRefs(0), outRefs(1)),
		}, porcupine.Illegal},
		{"lost acknowledged create", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(1, 2, 3, inGet(0), outStatus(404)),
		}, porcupine.Illegal},
		{"list total counts the universe plus the base", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 3, inCreate(1, "y"), outStatus(201)),
			hop(1, 4, 5, inList(), outTotal(4)),
		}, porcupine.Ok},
		{"list total misses an acknowledged create", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(0, 2, 3, inCreate(1, "y"), outStatus(201)),
			hop(1, 4, 5, inList(), outTotal(3)),
		}, porcupine.Illegal},
		{"unknown create that took effect", []opRecord{
			hop(0, 0, -1, inCreate(0, "x"), wsOutput{}),
			hop(1, 5, 6, inGet(0), outDesc("x")),
		}, porcupine.Ok},
		{"unknown create that never took effect", []opRecord{
			hop(0, 0, -1, inCreate(0, "x"), wsOutput{}),
			hop(1, 5, 6, inGet(0), outStatus(404)),
			hop(1, 7, 8, inCreate(0, "y"), outStatus(201)),
			hop(1, 9, 10, inGet(0), outDesc("y")),
		}, porcupine.Ok},
		{"unknown create seen, then unseen with no delete", []opRecord{
			hop(0, 0, -1, inCreate(0, "x"), wsOutput{}),
			hop(1, 5, 6, inGet(0), outDesc("x")),
			hop(1, 7, 8, inGet(0), outStatus(404)),
		}, porcupine.Illegal},
		{"unknown delete explains a second create", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(1, 2, -1, inDelete(0), wsOutput{}),
			hop(2, 3, 4, inCreate(0, "y"), outStatus(201)),
		}, porcupine.Ok},
		{"unknown write cannot precede its call", []opRecord{
			hop(0, 0, 1, inCreate(0, "x"), outStatus(201)),
			hop(1, 2, 3, inGet(0), outDesc("y")),
			hop(2, 4, -1, inUpdate(0, "y"), wsOutput{}),
		}, porcupine.Illegal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testModel()
			res, err := checkLinearizable(m, buildHistory(tc.hist, nil, 0, time.Second), 10*time.Second, t.TempDir()+"/viz.html")
			if err != nil {
				t.Fatal(err)
			}
			if res.result != tc.want {
				t.Fatalf("check = %s, want %s", res.result, tc.want)
			}
			if res.result == porcupine.Illegal {
				b, err := os.ReadFile(res.vizPath)
				if err != nil || !strings.Contains(string(b), "<html") {
					t.Fatalf("visualization %s: %v (%d bytes)", res.vizPath, err, len(b))
				}
			}
		})
	}
}

func TestModel_initialState(t *testing.T) {
	m := testModel()
	m.init.ws[1] = wsState{exists: true, desc: "old", hasDesc: true, refs: 1}
	hist := []opRecord{
		hop(0, 0, 1, inGet(1), outDesc("old")),
		hop(0, 2, 3, inDelete(1), outStatus(409)),
		hop(0, 4, 5, inList(), outTotal(3)),
	}
	if res, _ := checkLinearizable(m, buildHistory(hist, nil, 0, time.Second), 10*time.Second, t.TempDir()+"/viz.html"); res.result != porcupine.Ok {
		t.Fatalf("check = %s, want Ok", res.result)
	}
}

func TestBuildHistory_carriedAndTightened(t *testing.T) {
	m := testModel()
	earlier := []opRecord{
		hop(0, 0, -1, inCreate(1, "early"), wsOutput{}),        // may still take effect
		hop(0, 10, 20, inCreate(0, "done"), outStatus(201)),    // known: not carried
		hop(0, -100e9, -1, inUpdate(0, "ancient"), wsOutput{}), // settled long ago
	}
	carried := carryOver(earlier, 1000, 30*time.Second)
	if len(carried) != 1 || carried[0].in.desc != "early" {
		t.Fatalf("carried %v, want the unknown create of 'early' only", carried)
	}
	recs := []opRecord{
		hop(1, 2000, -1, inUpdate(0, "u"), wsOutput{}),
		hop(2, 2100, 2200, inGet(0), outDesc("u")),
		hop(2, 2300, 2400, inGet(1), outDesc("early")),
	}
	m.init.ws[0] = wsState{exists: true, hasDesc: true, desc: "done"}
	ops := buildHistory(recs, carried, 1000, 30*time.Second)
	if len(ops) != 4 || ops[0].Call != 1000 || ops[0].Return != int64(30*time.Second) {
		t.Fatalf("carried op = %+v, want called at the round's start and returning by its call plus settle", ops[0])
	}
	for _, op := range ops {
		if in := op.Input.(wsInput); in.kind == opUpdate && op.Return != 2200 {
			t.Fatalf("unknown update observed by a get returning at 2200 has return %d", op.Return)
		}
	}
	if res, _ := checkLinearizable(m, ops, 10*time.Second, t.TempDir()+"/viz.html"); res.result != porcupine.Ok {
		t.Fatalf("check = %s, want Ok", res.result)
	}
}

// A carried write of unknown outcome cannot take effect after its call
// plus settle: the linearizability check must not use it to excuse what
// doubleCreates reports (two creates of one name, both 201, with nothing
// that could have deleted it in between).
func TestBuildHistory_carriedWithinSettle(t *testing.T) {
	m := testModel()
	settle := 30 * time.Second
	old := hop(0, 0, -1, inDelete(0), wsOutput{}) // unknown delete, long ago
	start := int64(20 * time.Second)
	carried := carryOver([]opRecord{old}, start, settle)
	if len(carried) != 1 {
		t.Fatalf("carried %v, want the old delete", carried)
	}
	late := int64(40 * time.Second) // past the delete's call plus settle
	recs := []opRecord{
		hop(1, late, late+10, inCreate(0, "x"), outStatus(201)),
		hop(2, late+5, late+20, inCreate(0, "y"), outStatus(201)),
	}
	if got := doubleCreates(append([]opRecord{old}, recs...), m.names, settle); len(got) != 1 {
		t.Fatalf("doubleCreates = %v, want one finding", got)
	}
	if res, _ := checkLinearizable(m, buildHistory(recs, carried, start, settle), 10*time.Second, t.TempDir()+"/viz.html"); res.result != porcupine.Illegal {
		t.Fatalf("check = %s, want %s: the old delete excused a double create", res.result, porcupine.Illegal)
	}
	// Within settle, the delete may sit between them.
	early := int64(25 * time.Second)
	recs = []opRecord{
		hop(1, early, early+10, inCreate(0, "x"), outStatus(201)),
		hop(2, early+5, early+20, inCreate(0, "y"), outStatus(201)),
	}
	if res, _ := checkLinearizable(m, buildHistory(recs, carried, start, settle), 10*time.Second, t.TempDir()+"/viz.html"); res.result != porcupine.Ok {
		t.Fatalf("check = %s, want Ok", res.result)
	}
}

func TestClassify_answers(t *testing.T) {
	refIndex := map[string]int{"m0": 0, "m1": 1}
	for _, tc := range []struct {
		name    string
		in      wsInput
		a       opAnswer
		verdict verdict
		out     wsOutput
		problem bool
	}{
		{"created", inCreate(0, "x"), opAnswer{sent: true, status: 201, index: "7", body: []byte(`{"id":"u1","name":"a","description":"x"}`)}, definite, outStatus(201), false},
		{"created with another description", inCreate(0, "x"), opAnswer{sent: true, status: 201, index: "7", body: []byte(`{"id":"u1","name":"a","description":"y"}`)}, unknownOutcome, wsOutput{unknown: true}, true},
		{"updated", inUpdate(0, "x"), opAnswer{sent: true, status: 200, index: "7", body: []byte(`{"id":"u1","name":"a","description":"x"}`)}, definite, outStatus(200), false},
		{"updated without the description", inUpdate(0, "x"), opAnswer{sent: true, status: 200, index: "7", body: []byte(`{"id":"u1","name":"a","description":null}`)}, unknownOutcome, wsOutput{unknown: true}, true},
		{"already exists", inCreate(0, "x"), opAnswer{sent: true, status: 409, index: "7", errCode: "already_exists"}, definite, outStatus(409), false},
		{"no leader", inCreate(0, "x"), opAnswer{sent: true, status: 503, index: "7", errCode: "no_leader"}, notApplied, wsOutput{}, false},
		{"outcome unknown", inCreate(0, "x"), opAnswer{sent: true, status: 503, index: "7", errCode: "outcome_unknown"}, unknownOutcome, wsOutput{unknown: true}, false},
		{"503 without a code", inDelete(0), opAnswer{sent: true, status: 503}, unknownOutcome, wsOutput{unknown: true}, false},
		{"500 on a write", inDelete(0), opAnswer{sent: true, status: 500, index: "7"}, unknownOutcome, wsOutput{unknown: true}, true},
		{"500 on a read", inGet(0), opAnswer{sent: true, status: 500, index: "7"}, notApplied, wsOutput{}, true},
		{"503 on a read", inGet(0), opAnswer{sent: true, status: 503, errCode: "unavailable"}, notApplied, wsOutput{}, false},
		{"connection refused", inUpdate(0, "x"), opAnswer{err: errors.New("dial: refused")}, notApplied, wsOutput{}, false},
		{"connection cut after sending", inUpdate(0, "x"), opAnswer{sent: true, err: errors.New("EOF")}, unknownOutcome, wsOutput{unknown: true}, false},
		{"read timeout", inGet(0), opAnswer{sent: true, err: errors.New("timeout")}, notApplied, wsOutput{}, false},
		{"unexpected 422", inAcquire(0, 0), opAnswer{sent: true, status: 422, index: "7"}, unknownOutcome, wsOutput{unknown: true}, true},
		{"missing X-Wsd-Index", inGet(0), opAnswer{sent: true, status: 404}, notApplied, wsOutput{}, true},
		{"get with description", inGet(0), opAnswer{sent: true, status: 200, index: "7", body: []byte(`{"id":"u1","description":"d"}`)}, definite, outDesc("d"), false},
		{"get with null description", inGet(0), opAnswer{sent: true, status: 200, index: "7", body: []byte(`{"id":"u1","description":null}`)}, definite, outStatus(200), false},
		{"refs", inRefs(0), opAnswer{sent: true, status: 200, index: "7", body: []byte(`{"data":[{"entity_type":"models","entity_name":"m1"}],"pagination":{"total_results":1}}`)}, definite, outRefs(2), false},
		{"list", inList(), opAnswer{sent: true, status: 200, index: "7", body: []byte(`{"data":[],"pagination":{"total_results":5}}`)}, definite, outTotal(5), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := classify(tc.in, tc.a, refIndex)
			if c.verdict != tc.verdict || (c.verdict != notApplied && c.out != tc.out) || (c.problem != "") != tc.problem {
				t.Fatalf("classify = %+v, want verdict %d out %+v problem %v", c, tc.verdict, tc.out, tc.problem)
			}
		})
	}
}

func TestDoubleCreates(t *testing.T) {
	names := []string{"a"}
	created := func(call, ret int64) opRecord { return hop(0, call, ret, inCreate(0, "x"), outStatus(201)) }
	if got := doubleCreates([]opRecord{created(0, 1), created(5, 6)}, names, time.Second); len(got) != 1 {
		t.Fatalf("two 201 without a delete: %v, want one finding", got)
	}
	if got := doubleCreates([]opRecord{created(0, 1), hop(1, 2, 3, inDelete(0), outStatus(200)), created(5, 6)}, names, time.Second); len(got) != 0 {
		t.Fatalf("create, delete, create: %v, want none", got)
	}
	if got := doubleCreates([]opRecord{created(0, 1), hop(1, 2, -1, inDelete(0), wsOutput{}), created(5, 6)}, names, time.Second); len(got) != 0 {
		t.Fatalf("a delete of unknown outcome in between: %v, want none", got)
	}
	if got := doubleCreates([]opRecord{created(0, 1), hop(1, 2, 3, inDelete(0), outStatus(404)), created(5, 6)}, names, time.Second); len(got) != 1 {
		t.Fatalf("a failed delete in between: %v, want one finding", got)
	}
}

func TestLostWrites(t *testing.T) {
	m := testModel()
	recs := []opRecord{
		{in: inCreate(0, "x"), out: outStatus(201), call: 0, ret: 1, id: "id-a"},
		{in: inUpdate(0, "y"), out: outStatus(200), call: 2, ret: 3},
		{in: inAcquire(0, 1), out: outStatus(201), call: 4, ret: 5},
		{in: inCreate(1, "b"), out: outStatus(201), call: 6, ret: 7, id: "id-b"},
		{in: inDelete(1), out: outStatus(200), call: 8, ret: 9},
	}
	good := stateSnapshot{"a": {id: "id-a", hasDesc: true, desc: "y", refs: []string{"models/m1"}}, "lb": {id: "id-lb"}}
	if got := lostWrites(recs, m, good, map[string]string{"lb": "id-lb"}, time.Second); len(got) != 0 {
		t.Fatalf("lostWrites on the right state = %v, want none", got)
	}
	bad := stateSnapshot{"a": {id: "id-a", hasDesc: true, desc: "x"}, "b": {id: "id-b2"}}
	got := lostWrites(recs, m, bad, map[string]string{"lb": "id-lb"}, time.Second)
	if len(got) != 4 {
		t.Fatalf("lostWrites = %d findings %q, want 4 (description, reference, delete, lb create)", len(got), got)
	}
	// A later write of unknown outcome leaves the name unchecked.
	recs = append(recs, opRecord{in: inUpdate(0, "z"), out: wsOutput{unknown: true}, call: 10, ret: infinity})
	got = lostWrites(recs, m, stateSnapshot{"a": {id: "id-a", hasDesc: true, desc: "x", refs: []string{"models/m1"}}}, nil, time.Second)
	if len(got) != 0 {
		t.Fatalf("lostWrites with an unknown last update = %v, want none", got)
	}
}
