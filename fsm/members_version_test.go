package fsm_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// atVersion re-labels an encoded entry as written at command version v,
// as an older binary wrote it.
func atVersion(tb testing.TB, idx uint64, c fsm.Command, v uint8) *raft.Log {
	l := logEntry(tb, idx, c)
	l.Data[2] = v
	return l
}

// TestFSM_memberCommands_versioned: AddMember and SetMemberRoles changed
// what they apply in version 2 (issue 15: merge into an existing member,
// set the roles of a principal without any, [] removes them, JobRunner on
// system). A version 1 entry still applies as version 1 did, so a log
// written by an older cluster replays to the same state, and a binary
// that knows only version 1 refuses a version 2 entry instead of applying
// it differently.
func TestFSM_memberCommands_versioned(t *testing.T) {
	for _, ct := range []fsm.CommandType{fsm.AddMemberType, fsm.SetMemberRolesType} {
		if v := fsm.SupportedVersion(ct); v != 2 {
			t.Fatalf("%s: version %d, want 2", ct, v)
		}
		if b := mustEncode(t, &fsm.AddMember{}); b[2] != 2 {
			t.Fatalf("AddMember encoded at version %d, want 2", b[2])
		}
		// A version 3 entry (a newer binary's) is refused, not guessed at.
		l := atVersion(t, 1, &fsm.AddMember{}, 3)
		var uce *fsm.UnknownCommandError
		if _, err := fsm.Decode(l.Data); !errors.As(err, &uce) {
			t.Fatalf("version 3 entry: %v, want *UnknownCommandError", err)
		}
	}

	apply := func(a *applier, c fsm.Command, v uint8) fsm.Result {
		t.Helper()
		return toResult(t, a.f.Apply(atVersion(t, a.next(), c, v)))
	}
	setup := func(t *testing.T) *applier {
		a := newApplier(t)
		c := initCmd()
		c.AdminPrincipal = "root"
		a.ok(c)
		a.ok(&fsm.CreateWorkspace{ID: "w", Name: "ws", At: at(1), By: "alice", Caller: alice})
		a.ok(&fsm.AddMember{Workspace: "ws", Principal: "bob", Roles: []string{"Viewer"}, At: at(2), Caller: alice})
		return a
	}
	roles := func(a *applier, ws, p string) []string {
		b, ok := a.state().Member(ws, p)
		if !ok {
			return nil
		}
		return b.Roles
	}
	code := func(r fsm.Result) fsm.Code {
		var fe *fsm.Error
		if errors.As(r.Err, &fe) {
			return fe.Code
		}
		return ""
	}

	for _, tt := range []struct {
		name   string
		cmd    fsm.Command
		v1Code fsm.Code // the result at version 1
		v1     []string // bob's (or carol's) roles after it at version 1
		v2Code fsm.Code
		v2     []string
		who    string
		ws     string
	}{
		{"add an existing member", &fsm.AddMember{Workspace: "ws", Principal: "bob", Roles: []string{"Editor"}, At: at(3), Caller: alice},
			fsm.CodeAlreadyExists, []string{"Viewer"}, "", []string{"Editor", "Viewer"}, "bob", "ws"},
		{"set roles of a principal without any", &fsm.SetMemberRoles{Workspace: "ws", Principal: "carol", Roles: []string{"Editor"}, At: at(3), Caller: alice},
			fsm.CodeNotFound, nil, "", []string{"Editor"}, "carol", "ws"},
		{"set no roles", &fsm.SetMemberRoles{Workspace: "ws", Principal: "bob", Roles: []string{}, At: at(3), Caller: alice},
			fsm.CodeInvalid, []string{"Viewer"}, "", nil, "bob", "ws"},
		{"grant JobRunner on system", &fsm.AddMember{Workspace: "system", Principal: "runner", Roles: []string{"JobRunner"}, At: at(3), Caller: root},
			fsm.CodeInvalid, nil, "", []string{"JobRunner"}, "runner", "system"},
		{"set JobRunner on system", &fsm.SetMemberRoles{Workspace: "system", Principal: "runner", Roles: []string{"JobRunner"}, At: at(3), Caller: root},
			fsm.CodeInvalid, nil, "", []string{"JobRunner"}, "runner", "system"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := setup(t)
			r := apply(a, tt.cmd, 1)
			if got := code(r); got != tt.v1Code {
				t.Errorf("version 1: code %q (%v), want %q", got, r.Err, tt.v1Code)
			}
			if got := roles(a, tt.ws, tt.who); !slices.Equal(got, tt.v1) {
				t.Errorf("version 1: roles %v, want %v", got, tt.v1)
			}
			a = setup(t)
			r = apply(a, tt.cmd, 2)
			if got := code(r); got != tt.v2Code {
				t.Errorf("version 2: code %q (%v), want %q", got, r.Err, tt.v2Code)
			}
			if got := roles(a, tt.ws, tt.who); !slices.Equal(got, tt.v2) {
				t.Errorf("version 2: roles %v, want %v", got, tt.v2)
			}
		})
	}

	t.Run("JobRunner only on system", func(t *testing.T) {
		a := setup(t)
		if r := apply(a, &fsm.AddMember{Workspace: "ws", Principal: "x", Roles: []string{"JobRunner"}, At: at(3), Caller: alice}, 2); code(r) != fsm.CodeInvalid {
			t.Fatalf("JobRunner on ws: %v, want invalid", r.Err)
		}
	})
	t.Run("the last Admin stays", func(t *testing.T) {
		a := setup(t)
		if r := apply(a, &fsm.SetMemberRoles{Workspace: "ws", Principal: "alice", Roles: []string{}, At: at(3), Caller: alice}, 2); code(r) != fsm.CodeConflict {
			t.Fatalf("[] on the last Admin: %v, want conflict", r.Err)
		}
	})
}
