package fsm_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// randomLogs returns n raft entries of mixed commands drawn from small name
// pools, so that many of them collide and are refused, plus the odd
// configuration entry and ignorable unknown command. The same seed always
// gives the same entries; the first is Init.
func randomLogs(tb testing.TB, seed uint64, n int) []*raft.Log {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	ws := func() string {
		return pick("w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "ml-team", "ml-team", "ml-team", "default", "default", "system", "Bad")
	}
	proj := func() string { return pick("", "", "", "", "", "p0", "p1", "p2") }
	ent := func() string { return pick("e0", "e1", "e2", "e3", "e4", "e5", "a/b", "e0", "e1", "") }
	typ := func() string { return pick("models", "datasets", "jobs", "models", "datasets", "Bad") }
	id := func(i uint64) string {
		if r.IntN(10) == 0 {
			return fmt.Sprintf("id-%d", r.IntN(int(i))) // may be taken
		}
		return fmt.Sprintf("id-%d", i)
	}
	desc := func() *string {
		if r.IntN(3) == 0 {
			return nil
		}
		return ptr(pick("", "a description", "é ü <b>"))
	}
	caller := func() *fsm.Caller {
		switch r.IntN(10) {
		case 0:
			return &fsm.Caller{ID: "alice", Email: "alice@example.com"}
		case 1:
			return &fsm.Caller{ID: "bob", Groups: []string{"team"}}
		case 2:
			return &fsm.Caller{ID: "root"}
		}
		return nil
	}
	roles := func() []string {
		return [][]string{{"Viewer"}, {"Editor"}, {"Admin"}, {"Admin", "Viewer"}, {"Bogus"}, {"WorkspaceCreator"}}[r.IntN(6)]
	}
	// Timestamps move forward slowly, so many of them tie.
	clock := 0
	when := func() time.Time {
		clock += r.IntN(2)
		return at(clock)
	}
	logs := make([]*raft.Log, 0, n)
	logs = append(logs, logEntry(tb, 1, &fsm.Init{DefaultID: "id-default", SystemID: "id-system", At: at(0), By: "boot", AdminPrincipal: "root"}))
	for i := uint64(2); len(logs) < n; i++ {
		var c fsm.Command
		by := pick("alice@example.com", "bob", "")
		switch k := r.IntN(100); {
		case k < 2:
			logs = append(logs, &raft.Log{Index: i, Term: 1, Type: raft.LogConfiguration, Data: []byte{1, 2, 3}})
			continue
		case k < 3:
			logs = append(logs, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: []byte("\x01\xf0\x01{}")})
			continue
		case k < 4:
			c = &fsm.Init{DefaultID: pick("id-default", "x"), SystemID: pick("id-system", "id-w1"), At: when(), By: by}
		case k < 22:
			c = &fsm.CreateWorkspace{ID: id(i), Name: ws(), Description: desc(), At: when(), By: by, Caller: caller()}
		case k < 30:
			c = &fsm.UpdateWorkspace{Name: ws(), Description: desc(), DescriptionSet: r.IntN(2) == 0, At: when(), By: by, Caller: caller()}
		case k < 38:
			c = &fsm.DeleteWorkspace{Name: ws(), At: when(), By: by, Caller: caller()}
		case k < 60:
			c = &fsm.AcquireRef{Workspace: ws(), EntityType: typ(), EntityName: ent(), Project: proj(), At: when(), By: by, Caller: caller()}
		case k < 75:
			c = &fsm.ReleaseRef{Workspace: ws(), EntityType: typ(), EntityName: ent(), At: when(), By: by, Caller: caller()}
		case k < 81:
			c = &fsm.CreateProject{ID: id(i), Workspace: ws(), Name: pick("p0", "p1", "p2"), Description: desc(), At: when(), By: by, Caller: caller()}
		case k < 84:
			c = &fsm.UpdateProject{Workspace: ws(), Name: pick("p0", "p1", "p2"), Description: desc(), DescriptionSet: r.IntN(2) == 0, At: when(), By: by, Caller: caller()}
		case k < 88:
			c = &fsm.DeleteProject{Workspace: ws(), Name: pick("p0", "p1", "p2"), At: when(), By: by, Caller: caller()}
		case k < 93:
			c = &fsm.AddMember{Workspace: ws(), Principal: pick("alice", "bob", "team", "*"), Roles: roles(), At: when(), By: by, Caller: caller()}
		case k < 97:
			c = &fsm.SetMemberRoles{Workspace: ws(), Principal: pick("alice", "bob", "team", "*"), Roles: roles(), At: when(), By: by, Caller: caller()}
		default:
			c = &fsm.RemoveMember{Workspace: ws(), Principal: pick("alice", "bob", "team", "*"), At: when(), By: by, Caller: caller()}
		}
		logs = append(logs, logEntry(tb, i, c))
	}
	return logs
}

// applyOneByOne applies logs to a new FSM with Apply and returns it with
// the results.
func applyOneByOne(tb testing.TB, logs []*raft.Log) (*fsm.FSM, []any) {
	tb.Helper()
	f := fsm.New(fsm.Options{})
	out := make([]any, len(logs))
	for i, l := range logs {
		out[i] = f.Apply(l)
	}
	return f, out
}

// applyBatched applies logs to a new FSM with ApplyBatch in batches of size.
func applyBatched(tb testing.TB, logs []*raft.Log, size int) (*fsm.FSM, []any) {
	tb.Helper()
	f := fsm.New(fsm.Options{})
	var out []any
	for len(logs) > 0 {
		n := min(size, len(logs))
		out = append(out, f.ApplyBatch(logs[:n])...)
		logs = logs[n:]
	}
	return f, out
}

func TestFSM_Apply_deterministic(t *testing.T) {
	logs := randomLogs(t, 1, 400)
	f1, r1 := applyOneByOne(t, logs)
	f2, r2 := applyOneByOne(t, logs)
	s1, s2 := snapshotBytes(t, f1.State()), snapshotBytes(t, f2.State())
	if !bytes.Equal(s1, s2) {
		t.Fatalf("two FSMs fed the same log wrote different snapshots (%d and %d bytes)", len(s1), len(s2))
	}
	if !reflect.DeepEqual(r1, r2) {
		t.Errorf("two FSMs fed the same log returned different results")
	}

	// The log must exercise both outcomes, or this test proves little.
	var ok, refused int
	for _, v := range r1 {
		if r, isResult := v.(fsm.Result); isResult {
			if r.Err != nil {
				refused++
			} else {
				ok++
			}
		}
	}
	s := f1.State()
	t.Logf("log: %d applied, %d refused; state: %d workspaces, %d projects, %d refs", ok, refused, s.WorkspaceCount(), s.ProjectCount(), s.RefCount())
	if ok < 100 || refused < 50 {
		t.Errorf("log mix: got %d applied and %d refused, want at least 100 and 50", ok, refused)
	}
	if s.WorkspaceCount() < 4 || s.RefCount() < 5 || s.ProjectCount() < 1 {
		t.Errorf("final state too small: %d workspaces, %d refs, %d projects", s.WorkspaceCount(), s.RefCount(), s.ProjectCount())
	}
	if got, want := s.Index(), logs[len(logs)-1].Index; got != want {
		t.Errorf("Index: got %d, want %d", got, want)
	}
}

func TestFSM_ApplyBatch_matchesApply(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		logs := randomLogs(t, seed, 300)
		want, wantResults := applyOneByOne(t, logs)
		wantSnap := snapshotBytes(t, want.State())
		for _, size := range []int{1, 2, 3, 7, 16, 64, 299, 300, 1000} {
			t.Run(fmt.Sprintf("seed=%d/batch=%d", seed, size), func(t *testing.T) {
				got, gotResults := applyBatched(t, logs, size)
				if snap := snapshotBytes(t, got.State()); !bytes.Equal(snap, wantSnap) {
					t.Errorf("snapshot after batches of %d differs from one-by-one (%d vs %d bytes)", size, len(snap), len(wantSnap))
				}
				if !reflect.DeepEqual(gotResults, wantResults) {
					t.Errorf("results after batches of %d differ from one-by-one", size)
				}
			})
		}
	}
}

// A node that restored a snapshot half way and applied the rest ends where
// a node that applied everything does.
func TestFSM_Restore_thenApply(t *testing.T) {
	logs := randomLogs(t, 4, 400)
	want, _ := applyOneByOne(t, logs)
	for _, cut := range []int{1, 57, 200, 399} {
		t.Run(fmt.Sprintf("cut=%d", cut), func(t *testing.T) {
			first, _ := applyOneByOne(t, logs[:cut])
			f := fsm.New(fsm.Options{})
			if err := f.Restore(nopCloser(snapshotBytes(t, first.State()))); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			f.ApplyBatch(logs[cut:])
			if got, want := snapshotBytes(t, f.State()), snapshotBytes(t, want.State()); !bytes.Equal(got, want) {
				t.Errorf("snapshot after restore at %d and replay differs from a straight run", cut)
			}
		})
	}
}
