package fsm_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

var (
	alice = &fsm.Caller{ID: "alice", Email: "alice@example.com"}
	bob   = &fsm.Caller{ID: "bob", Groups: []string{"team"}}
	root  = &fsm.Caller{ID: "root"}
)

func TestFSM_Apply_authorization(t *testing.T) {
	a := newApplier(t)
	c := initCmd()
	c.AdminPrincipal = "root"
	a.ok(c)

	steps := []struct {
		name string
		cmd  fsm.Command
		code fsm.Code // "" when the command must succeed
	}{
		{"alice creates ws", &fsm.CreateWorkspace{ID: "w", Name: "ws", At: at(1), By: "alice", Caller: alice}, ""},
		{"bob, no member, does not see ws", &fsm.UpdateWorkspace{Name: "ws", At: at(2), Caller: bob}, fsm.CodeNotFound},
		{"bob cannot acquire in ws", &fsm.AcquireRef{Workspace: "ws", EntityType: "models", EntityName: "m", At: at(2), Caller: bob}, fsm.CodeNotFound},
		{"bob cannot add himself", &fsm.AddMember{Workspace: "ws", Principal: "bob", Roles: []string{"Admin"}, At: at(2), Caller: bob}, fsm.CodeNotFound},
		{"alice adds bob as viewer", &fsm.AddMember{Workspace: "ws", Principal: "bob", Roles: []string{"Viewer"}, At: at(3), Caller: alice}, ""},
		{"alice adds bob again: roles merge", &fsm.AddMember{Workspace: "ws", Principal: "bob", Roles: []string{"Viewer"}, At: at(3), Caller: alice}, ""},
		{"viewer bob cannot update", &fsm.UpdateWorkspace{Name: "ws", At: at(4), Caller: bob}, fsm.CodeForbidden},
		{"unknown role", &fsm.SetMemberRoles{Workspace: "ws", Principal: "bob", Roles: []string{"Owner"}, At: at(5), Caller: alice}, fsm.CodeInvalid},
		{"system role outside system", &fsm.SetMemberRoles{Workspace: "ws", Principal: "bob", Roles: []string{"PlatformAdmin"}, At: at(5), Caller: alice}, fsm.CodeInvalid},
		{"no roles removes bob's", &fsm.SetMemberRoles{Workspace: "ws", Principal: "bob", At: at(5), Caller: alice}, ""},
		{"bob without roles cannot update", &fsm.UpdateWorkspace{Name: "ws", At: at(5), Caller: bob}, fsm.CodeNotFound},
		{"add with no roles", &fsm.AddMember{Workspace: "ws", Principal: "bob", At: at(5), Caller: alice}, fsm.CodeInvalid},
		{"alice makes bob editor", &fsm.SetMemberRoles{Workspace: "ws", Principal: "bob", Roles: []string{"Editor", "Editor"}, At: at(5), Caller: alice}, ""},
		{"editor bob updates", &fsm.UpdateWorkspace{Name: "ws", At: at(6), Caller: bob}, ""},
		{"editor bob acquires", &fsm.AcquireRef{Workspace: "ws", EntityType: "models", EntityName: "m", At: at(6), Caller: bob}, ""},
		{"editor bob cannot delete", &fsm.DeleteWorkspace{Name: "ws", At: at(6), Caller: bob}, fsm.CodeForbidden},
		{"alice cannot drop the last admin", &fsm.RemoveMember{Workspace: "ws", Principal: "alice", At: at(7), Caller: alice}, fsm.CodeConflict},
		{"alice cannot demote herself", &fsm.SetMemberRoles{Workspace: "ws", Principal: "alice", Roles: []string{"Editor"}, At: at(7), Caller: alice}, fsm.CodeConflict},
		{"member not found", &fsm.RemoveMember{Workspace: "ws", Principal: "carol", At: at(7), Caller: alice}, fsm.CodeNotFound},
		{"alice removes bob", &fsm.RemoveMember{Workspace: "ws", Principal: "bob", At: at(8), Caller: alice}, ""},
		{"revoked bob cannot release", &fsm.ReleaseRef{Workspace: "ws", EntityType: "models", EntityName: "m", At: at(9), Caller: bob}, fsm.CodeNotFound},
		{"group binding", &fsm.AddMember{Workspace: "ws", Principal: "team", Roles: []string{"Editor"}, At: at(10), Caller: alice}, ""},
		{"bob via his group", &fsm.ReleaseRef{Workspace: "ws", EntityType: "models", EntityName: "m", At: at(11), Caller: bob}, ""},
		{"editor on default", &fsm.AcquireRef{Workspace: "default", EntityType: "models", EntityName: "m", At: at(12), Caller: bob}, ""},
		{"system is read-only", &fsm.AcquireRef{Workspace: "system", EntityType: "models", EntityName: "m", At: at(12), Caller: alice}, fsm.CodeForbidden},
		{"platform admin writes system", &fsm.AcquireRef{Workspace: "system", EntityType: "models", EntityName: "m", At: at(12), Caller: root}, ""},
		{"platform admin releases in system", &fsm.ReleaseRef{Workspace: "system", EntityType: "models", EntityName: "m", At: at(13), Caller: root}, ""},
		{"builtin stays", &fsm.DeleteWorkspace{Name: "default", At: at(13), Caller: root}, fsm.CodeBuiltin},
		{"alice deletes ws", &fsm.DeleteWorkspace{Name: "ws", At: at(14), Caller: alice}, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a := a.T(t)
			if st.code == "" {
				a.ok(st.cmd)
				return
			}
			a.refused(st.cmd, st.code)
		})
	}
	if got := a.state().RoleBindings("ws"); len(got) != 0 {
		t.Errorf("bindings of the deleted workspace: got %d, want 0", len(got))
	}
}

func TestFSM_Apply_createWorkspaceMakesCreatorAdmin(t *testing.T) {
	a := newInitialized(t)
	a.ok(&fsm.CreateWorkspace{ID: "w", Name: "ws", At: at(1), By: "alice@example.com", Caller: alice})
	b, ok := a.state().Member("ws", "alice")
	if !ok {
		t.Fatalf("Member(ws, alice): not found")
	}
	if !slices.Equal(b.Roles, []string{fsm.RoleAdmin}) || !b.GrantedAt.Equal(at(1)) {
		t.Errorf("binding: got %+v, want Admin granted at %v", b, at(1))
	}
	t.Run("creator needs WorkspaceCreator", func(t *testing.T) {
		a := newApplier(t) // no Init: nobody holds WorkspaceCreator
		a.refused(&fsm.CreateWorkspace{ID: "w", Name: "ws", At: at(1), Caller: alice}, fsm.CodeForbidden)
	})
}

func TestFSM_Apply_memberRoles(t *testing.T) {
	a := newInitialized(t)
	a.ok(&fsm.CreateWorkspace{ID: "w", Name: "ws", At: at(1), Caller: alice})
	r := a.ok(&fsm.AddMember{Workspace: "ws", Principal: "bob", Roles: []string{"Viewer", "Admin", "Viewer"}, At: at(2), By: "alice", Caller: alice})
	if want := []string{"Admin", "Viewer"}; !r.Created || !slices.Equal(r.Member.Roles, want) {
		t.Errorf("added member: got %+v, want Created with roles %v", r, want)
	}
	// Two admins now: alice may step down.
	a.ok(&fsm.SetMemberRoles{Workspace: "ws", Principal: "alice", Roles: []string{"Viewer"}, At: at(3), Caller: alice})
	a.refused(&fsm.RemoveMember{Workspace: "ws", Principal: "bob", At: at(4), Caller: bob}, fsm.CodeConflict)
	a.refused(&fsm.AddMember{Workspace: "nope", Principal: "x", Roles: []string{"Viewer"}, At: at(4)}, fsm.CodeNotFound)
	a.refused(&fsm.AddMember{Workspace: "ws", Principal: "", Roles: []string{"Viewer"}, At: at(4)}, fsm.CodeInvalid)
	a.ok(&fsm.AddMember{Workspace: "system", Principal: "ops", Roles: []string{"WorkspaceCreator"}, At: at(4)})
}

func TestCaller_Principal(t *testing.T) {
	tests := []struct {
		name string
		c    *fsm.Caller
		want string
	}{
		{"nil", nil, ""},
		{"email wins", &fsm.Caller{ID: "sub", Email: "a@example.com"}, "a@example.com"},
		{"subject", &fsm.Caller{ID: "sub"}, "sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Principal(); got != tt.want {
				t.Errorf("Principal: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestState_readAuthorization(t *testing.T) {
	a := newApplier(t)
	c := initCmd()
	c.AdminPrincipal = "root"
	a.ok(c)
	a.ok(&fsm.CreateWorkspace{ID: "w1", Name: "alices", At: at(1), Caller: alice})
	a.ok(&fsm.CreateWorkspace{ID: "w2", Name: "teams", At: at(1), Caller: root})
	a.ok(&fsm.AddMember{Workspace: "teams", Principal: "team", Roles: []string{"Viewer"}, At: at(2)})
	s := a.state()

	tests := []struct {
		name    string
		c       *fsm.Caller
		visible []string // nil: sees everything without a filter
		creator bool
	}{
		{"auth off", nil, nil, true},
		{"platform admin", root, nil, true},
		{"alice", alice, []string{"alices", "default", "system"}, true},
		{"bob through his group", bob, []string{"default", "system", "teams"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := s.VisibleTo(tt.c)
			if (pred == nil) != (tt.visible == nil) {
				t.Fatalf("VisibleTo: got predicate %v, want one %v", pred != nil, tt.visible != nil)
			}
			if pred != nil {
				all, _ := s.ListWorkspaces(fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortName}, Limit: 100})
				var got []string
				for _, w := range all {
					if pred(w) {
						got = append(got, w.Name)
					}
				}
				if !slices.Equal(got, tt.visible) {
					t.Errorf("visible: got %v, want %v", got, tt.visible)
				}
			}
			if got := s.CanCreateWorkspace(tt.c); got != tt.creator {
				t.Errorf("CanCreateWorkspace: got %v, want %v", got, tt.creator)
			}
		})
	}

	allowed := []struct {
		ws   string
		c    *fsm.Caller
		need string
		want bool
	}{
		{"alices", alice, fsm.RoleAdmin, true},
		{"alices", bob, fsm.RoleViewer, false},
		{"teams", bob, fsm.RoleViewer, true},
		{"teams", bob, fsm.RoleEditor, false},
		{"system", alice, fsm.RoleViewer, true},
		{"system", alice, fsm.RoleEditor, false},
		{"system", root, fsm.RoleAdmin, true},
		{"default", bob, fsm.RoleEditor, true},
		{"default", bob, fsm.RoleAdmin, false},
		{"missing", nil, fsm.RoleAdmin, true},
	}
	for _, tt := range allowed {
		t.Run(fmt.Sprintf("Allowed/%s/%s/%s", tt.ws, tt.c.Principal(), tt.need), func(t *testing.T) {
			if got := s.Allowed(tt.ws, tt.c, tt.need); got != tt.want {
				t.Errorf("Allowed: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidRole(t *testing.T) {
	tests := []struct {
		ws, role string
		want     bool
	}{
		{"ws", fsm.RoleViewer, true},
		{"ws", fsm.RoleAdmin, true},
		{"ws", fsm.RolePlatformAdmin, false},
		{"ws", fsm.RoleWorkspaceCreator, false},
		{fsm.SystemWorkspace, fsm.RolePlatformAdmin, true},
		{fsm.SystemWorkspace, fsm.RoleWorkspaceCreator, true},
		{"ws", "admin", false},
		{"ws", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.ws+"/"+tt.role, func(t *testing.T) {
			if got := fsm.ValidRole(tt.ws, tt.role); got != tt.want {
				t.Errorf("ValidRole: got %v, want %v", got, tt.want)
			}
		})
	}
}
