package fsm_test

import (
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

// The last PlatformAdmin binding can be neither removed nor demoted (409
// conflict, like the last Admin of a workspace), by itself or by another
// PlatformAdmin; once a second one exists, either may go, but not both.
func TestFSM_lastPlatformAdmin(t *testing.T) {
	a := newApplier(t)
	c := initCmd()
	c.AdminPrincipal = "root"
	a.ok(c)
	sys := fsm.SystemWorkspace
	carol := &fsm.Caller{ID: "carol"}
	steps := []struct {
		name string
		cmd  fsm.Command
		code fsm.Code
	}{
		{"root cannot remove itself", &fsm.RemoveMember{Workspace: sys, Principal: "root", At: at(1), Caller: root}, fsm.CodeConflict},
		{"root cannot demote itself", &fsm.SetMemberRoles{Workspace: sys, Principal: "root", Roles: []string{"Viewer"}, At: at(1), Caller: root}, fsm.CodeConflict},
		{"root may add roles beside PlatformAdmin", &fsm.SetMemberRoles{Workspace: sys, Principal: "root", Roles: []string{"PlatformAdmin", "Viewer"}, At: at(2), Caller: root}, ""},
		{"root grants carol PlatformAdmin", &fsm.AddMember{Workspace: sys, Principal: "carol", Roles: []string{"PlatformAdmin"}, At: at(3), Caller: root}, ""},
		{"carol demotes root", &fsm.SetMemberRoles{Workspace: sys, Principal: "root", Roles: []string{"Viewer"}, At: at(4), Caller: carol}, ""},
		{"carol cannot remove herself now", &fsm.RemoveMember{Workspace: sys, Principal: "carol", At: at(5), Caller: carol}, fsm.CodeConflict},
		{"carol cannot demote herself now", &fsm.SetMemberRoles{Workspace: sys, Principal: "carol", Roles: []string{"WorkspaceCreator"}, At: at(5), Caller: carol}, fsm.CodeConflict},
		{"removing root, no longer PlatformAdmin, is fine", &fsm.RemoveMember{Workspace: sys, Principal: "root", At: at(6), Caller: carol}, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a := a.T(t)
			if st.code == "" {
				a.ok(st.cmd)
				return
			}
			before := a.state().Digest()
			a.refused(st.cmd, st.code)
			if a.state().Digest() != before {
				t.Fatal("a refused command changed the state")
			}
		})
	}
	if !a.state().IsPlatformAdmin(carol) {
		t.Fatal("carol is not PlatformAdmin at the end")
	}
}
