package fsm_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

const (
	clusterA = "6f1c2a8e-3b7d-4c59-9e2f-0a1b2c3d4e5f"
	clusterB = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"
)

func TestClusterSettings_setOnce(t *testing.T) {
	a := newInitialized(t)
	if got := a.state().ClusterID(); got != "" {
		t.Fatalf("ClusterID before settings: %q, want empty", got)
	}
	a.ok(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: "oidc"})
	if s := a.state(); s.ClusterID() != clusterA || s.AuthMode() != "oidc" {
		t.Fatalf("settings: got %q/%q, want %s/oidc", s.ClusterID(), s.AuthMode(), clusterA)
	}
	// The same settings again (a second leader racing the first) change
	// nothing and succeed.
	a.ok(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: "oidc"})
	a.refused(&fsm.ClusterSettings{ClusterID: clusterB, AuthMode: "oidc"}, fsm.CodeConflict)
	// Authentication is never turned off.
	a.refused(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: "none"}, fsm.CodeConflict)
	for _, bad := range []*fsm.ClusterSettings{
		{ClusterID: "", AuthMode: "none"},
		{ClusterID: "not-a-uuid", AuthMode: "none"},
		{ClusterID: "6F1C2A8E-3B7D-4C59-9E2F-0A1B2C3D4E5F", AuthMode: "none"},
		{ClusterID: clusterA, AuthMode: ""},
		{ClusterID: clusterA, AuthMode: "OIDC"},
	} {
		a.refused(bad, fsm.CodeInvalid)
	}
	if s := a.state(); s.ClusterID() != clusterA || s.AuthMode() != "oidc" {
		t.Fatalf("settings after refusals: got %q/%q", s.ClusterID(), s.AuthMode())
	}
}

// TestClusterSettings_authOnlyTurnsOn: a cluster recorded without
// authentication may turn it on (same id), never the other way round.
func TestClusterSettings_authOnlyTurnsOn(t *testing.T) {
	a := newInitialized(t)
	a.ok(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: fsm.AuthNone})
	a.refused(&fsm.ClusterSettings{ClusterID: clusterB, AuthMode: "oidc"}, fsm.CodeConflict)
	a.ok(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: "oidc"})
	if s := a.state(); s.ClusterID() != clusterA || s.AuthMode() != "oidc" {
		t.Fatalf("settings: %q/%q, want %s/oidc", s.ClusterID(), s.AuthMode(), clusterA)
	}
	a.refused(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: fsm.AuthNone}, fsm.CodeConflict)
	a.refused(createWS("anon", 3), fsm.CodeForbidden)
}

// TestClusterSettings_nilCaller: a command without a caller (what a node
// running without authentication proposes) is allowed everything only in a
// cluster without authentication.
func TestClusterSettings_nilCaller(t *testing.T) {
	writes := func() []fsm.Command {
		return []fsm.Command{
			createWS("w2", 5),
			&fsm.UpdateWorkspace{Name: "w1", Description: ptr("x"), DescriptionSet: true, At: at(6), By: "x"},
			acquire("w1", "models", "m", 7),
			&fsm.CreateProject{ID: "p-1", Workspace: "w1", Name: "p", At: at(8), By: "x"},
			&fsm.AddMember{Workspace: "w1", Principal: "mallory", Roles: []string{"Admin"}, At: at(9), By: "x"},
			&fsm.AddMember{Workspace: fsm.SystemWorkspace, Principal: "mallory", Roles: []string{fsm.RolePlatformAdmin}, At: at(10), By: "x"},
			&fsm.DeleteWorkspace{Name: "w1", At: at(11), By: "x"},
		}
	}
	for _, mode := range []string{"", fsm.AuthNone} {
		t.Run("mode "+mode, func(t *testing.T) {
			a := newInitialized(t)
			if mode != "" {
				a.ok(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: mode})
			}
			a.ok(createWS("w1", 1))
			for _, c := range writes() {
				if _, ok := c.(*fsm.DeleteWorkspace); ok {
					continue // w1 is not empty
				}
				a.ok(c)
			}
			if !a.state().IsPlatformAdmin(nil) || a.state().VisibleTo(nil) != nil {
				t.Errorf("reads: a nil caller should see everything without authentication")
			}
		})
	}
	t.Run("mode oidc", func(t *testing.T) {
		a := newInitialized(t)
		root := &fsm.Caller{ID: "root"}
		a.ok(&fsm.AddMember{Workspace: fsm.SystemWorkspace, Principal: "root", Roles: []string{fsm.RolePlatformAdmin}, At: at(1), By: "boot"})
		a.ok(&fsm.ClusterSettings{ClusterID: clusterA, AuthMode: "oidc"})
		w1 := createWS("w1", 2)
		w1.Caller = root
		a.ok(w1)
		for _, c := range writes() {
			a.refused(c, fsm.CodeForbidden)
		}
		s := a.state()
		if s.IsPlatformAdmin(nil) || s.Allowed("default", nil, fsm.RoleViewer) || s.CanCreateWorkspace(nil) {
			t.Errorf("a nil caller holds a role in a cluster with authentication")
		}
		if vis := s.VisibleTo(nil); vis == nil {
			t.Errorf("VisibleTo(nil): sees everything in a cluster with authentication")
		} else if w, _ := s.Workspace("default"); vis(w) {
			t.Errorf("VisibleTo(nil): sees default in a cluster with authentication")
		}
		// Someone with a role still writes.
		u := &fsm.UpdateWorkspace{Name: "w1", Description: ptr("ok"), DescriptionSet: true, At: at(20), By: "root", Caller: root}
		a.ok(u)
	})
}

// settledState is smallState with cluster settings applied.
func settledState(tb testing.TB) *fsm.State {
	tb.Helper()
	logs := smallLog(tb)
	logs = append(logs, logEntry(tb, logs[len(logs)-1].Index+1, &fsm.ClusterSettings{ClusterID: clusterA, AuthMode: "oidc"}))
	f, res := applyOneByOne(tb, logs)
	if r := toResult(tb, res[len(res)-1]); r.Err != nil {
		tb.Fatalf("settings: %v", r.Err)
	}
	return f.State()
}

func TestSnapshot_clusterSettings(t *testing.T) {
	s := settledState(t)
	b := snapshotBytes(t, s)
	if v := parseSnap(t, b).version; v != 2 {
		t.Fatalf("snapshot version with cluster settings: %d, want 2", v)
	}
	if v := parseSnap(t, snapshotBytes(t, smallState(t))).version; v != 1 {
		t.Fatalf("snapshot version without cluster settings: %d, want 1", v)
	}
	got, err := fsm.ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	sameAnswers(t, got, s)
	if got.ClusterID() != clusterA || got.AuthMode() != "oidc" {
		t.Errorf("restored settings: %q/%q", got.ClusterID(), got.AuthMode())
	}
	// Raft's restore path carries them too.
	f := fsm.New(fsm.Options{})
	if err := f.Restore(nopCloser(b)); err != nil {
		t.Fatal(err)
	}
	if f.State().ClusterID() != clusterA {
		t.Errorf("FSM.Restore: cluster id %q", f.State().ClusterID())
	}
	// Another cluster id is another state.
	if smallState(t).Digest() == s.Digest() {
		t.Errorf("digest ignores the cluster settings")
	}

	// Settings where the format has none, or invalid ones, are refused.
	sf := parseSnap(t, b)
	meta := sf.records[0].payload
	for name, mutate := range map[string]func(sf *snapFile){
		"settings in v1": func(sf *snapFile) { sf.version = 1 },
		"v2 without id": func(sf *snapFile) {
			sf.records[0].payload = bytes.Replace(meta, []byte(`"cluster_id":"`+clusterA+`",`), nil, 1)
		},
		"v2 with bad id": func(sf *snapFile) { sf.records[0].payload = bytes.Replace(meta, []byte(clusterA), []byte("x"), 1) },
		"v2 with bad mode": func(sf *snapFile) {
			sf.records[0].payload = bytes.Replace(meta, []byte(`"oidc"`), []byte(`"OIDC!"`), 1)
		},
		"unknown version 4":  func(sf *snapFile) { sf.version = 4 },
		"unknown meta field": func(sf *snapFile) { sf.records[0].payload = bytes.Replace(meta, []byte(`{`), []byte(`{"x":1,`), 1) },
	} {
		t.Run(name, func(t *testing.T) {
			c := sf
			c.records = append([]snapRecord(nil), sf.records...)
			mutate(&c)
			c.sum = nil
			raw := c.bytes()
			if _, err := fsm.ReadSnapshot(bytes.NewReader(raw)); !errors.Is(err, fsm.ErrSnapshotCorrupt) {
				t.Errorf("ReadSnapshot: %v, want ErrSnapshotCorrupt", err)
			}
		})
	}
}

// TestState_WriteSnapshot_goldenV2 pins format version 2 (a state with
// cluster settings), as snapshot_v1.golden pins version 1.
func TestState_WriteSnapshot_goldenV2(t *testing.T) {
	path := filepath.Join("testdata", "snapshot_v2.golden")
	got := renderSnap(t, snapshotBytes(t, settledState(t)))
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if got != string(raw) {
		t.Errorf("snapshot format changed:\ngot\n%s\nwant\n%s", got, raw)
	}
	s, err := fsm.ReadSnapshot(bytes.NewReader(unrenderSnap(t, string(raw))))
	if err != nil {
		t.Fatalf("ReadSnapshot(golden v2): %v", err)
	}
	sameAnswers(t, s, settledState(t))
}
