package fsm_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// base is the time every test timeline starts at.
var base = time.Date(2026, 11, 26, 17, 40, 0, 0, time.UTC)

// at returns base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

func ptr[T any](v T) *T { return &v }

func mustEncode(tb testing.TB, c fsm.Command) []byte {
	tb.Helper()
	b, err := fsm.Encode(c)
	if err != nil {
		tb.Fatalf("Encode(%T): %v", c, err)
	}
	return b
}

// logEntry builds the raft entry that carries c at index i.
func logEntry(tb testing.TB, i uint64, c fsm.Command) *raft.Log {
	tb.Helper()
	return &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: mustEncode(tb, c)}
}

// applier feeds commands to an FSM at consecutive log indexes.
// Subtests take their own view with a.T(t), which shares the FSM and the
// index counter.
type applier struct {
	tb  testing.TB
	f   *fsm.FSM
	idx *uint64
}

func newApplier(tb testing.TB) *applier {
	tb.Helper()
	return &applier{tb: tb, f: fsm.New(fsm.Options{}), idx: new(uint64)}
}

// T returns a view of a that reports failures to tb.
func (a *applier) T(tb testing.TB) *applier {
	return &applier{tb: tb, f: a.f, idx: a.idx}
}

// last is the index of the last entry applied.
func (a *applier) last() uint64 { return *a.idx }

// newInitialized returns an applier whose FSM has applied the Init command.
func newInitialized(tb testing.TB) *applier {
	tb.Helper()
	a := newApplier(tb)
	a.ok(initCmd())
	return a
}

func initCmd() *fsm.Init {
	return &fsm.Init{DefaultID: "id-default", SystemID: "id-system", At: at(0), By: "boot"}
}

func (a *applier) next() uint64 {
	*a.idx++
	return *a.idx
}

// apply applies c at the next index and returns its Result.
func (a *applier) apply(c fsm.Command) fsm.Result {
	a.tb.Helper()
	return toResult(a.tb, a.f.Apply(logEntry(a.tb, a.next(), c)))
}

// ok applies c and fails the test when it is refused.
func (a *applier) ok(c fsm.Command) fsm.Result {
	a.tb.Helper()
	r := a.apply(c)
	if r.Err != nil {
		a.tb.Fatalf("apply %s: got error %v, want none", c.Type(), r.Err)
	}
	return r
}

// batch applies cmds in one ApplyBatch call.
func (a *applier) batch(cmds ...fsm.Command) []fsm.Result {
	a.tb.Helper()
	logs := make([]*raft.Log, len(cmds))
	for i, c := range cmds {
		logs[i] = logEntry(a.tb, a.next(), c)
	}
	out := a.f.ApplyBatch(logs)
	if len(out) != len(cmds) {
		a.tb.Fatalf("ApplyBatch returned %d results, want %d", len(out), len(cmds))
	}
	res := make([]fsm.Result, len(out))
	for i, v := range out {
		res[i] = toResult(a.tb, v)
	}
	return res
}

func (a *applier) state() *fsm.State { return a.f.State() }

func toResult(tb testing.TB, v any) fsm.Result {
	tb.Helper()
	r, ok := v.(fsm.Result)
	if !ok {
		tb.Fatalf("Apply returned %T (%v), want fsm.Result", v, v)
	}
	return r
}

// createWS returns a CreateWorkspace command for name created at second n.
func createWS(name string, n int) *fsm.CreateWorkspace {
	return &fsm.CreateWorkspace{ID: "id-" + name, Name: name, At: at(n), By: "alice@example.com"}
}

func acquire(ws, typ, name string, n int) *fsm.AcquireRef {
	return &fsm.AcquireRef{Workspace: ws, EntityType: typ, EntityName: name, At: at(n), By: "svc"}
}

func release(ws, typ, name string) *fsm.ReleaseRef {
	return &fsm.ReleaseRef{Workspace: ws, EntityType: typ, EntityName: name, At: at(999), By: "svc"}
}

// snapshotBytes returns the WriteSnapshot output of s.
func snapshotBytes(tb testing.TB, s *fsm.State) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		tb.Fatalf("WriteSnapshot: %v", err)
	}
	return buf.Bytes()
}

// wantCode fails unless err is an *fsm.Error with the given code.
func wantCode(tb testing.TB, err error, code fsm.Code) {
	tb.Helper()
	e, ok := err.(*fsm.Error)
	if !ok {
		tb.Fatalf("error: got %T (%v), want *fsm.Error with code %s", err, err, code)
	}
	if e.Code != code {
		tb.Fatalf("error code: got %s (%q), want %s", e.Code, e.Msg, code)
	}
}

// refused applies c, checks it is refused with code and that the state's
// Digest did not move, and returns the error.
func (a *applier) refused(c fsm.Command, code fsm.Code) *fsm.Error {
	a.tb.Helper()
	before := a.state().Digest()
	r := a.apply(c)
	wantCode(a.tb, r.Err, code)
	if after := a.state().Digest(); after != before {
		a.tb.Fatalf("refused %s changed the state: digest got %s, want %s", c.Type(), after, before)
	}
	if r.Workspace != nil || r.Ref != nil || r.Project != nil || r.Member != nil || r.Created {
		a.tb.Fatalf("refused %s returned a value: %+v", c.Type(), r)
	}
	return r.Err.(*fsm.Error)
}

func names(ws []*fsm.Workspace) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Name
	}
	return out
}
