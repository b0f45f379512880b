package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/wsd-dev/wsd/client"
)

// membersFixture is an auth server with workspace "team" whose only
// member is its creator (Admin), and the creator's token.
func membersFixture(t *testing.T) (*authServer, string) {
	t.Helper()
	as := newAuthServer(t)
	tok := as.iss.Token(t, subCreator, "creator@example.com")
	if r := as.call(t, tok, http.MethodPost, base+"/workspaces", map[string]any{"name": "team"}); r.code != http.StatusCreated {
		t.Fatalf("create: %s", r)
	}
	return as, tok
}

func (as *authServer) members(t *testing.T, tok, ws string) []client.Member {
	t.Helper()
	r := as.call(t, tok, http.MethodGet, base+"/workspaces/"+ws+"/members", nil)
	if r.code != http.StatusOK {
		t.Fatalf("list members: %s", r)
	}
	var l client.MemberList
	r.decode(t, &l)
	return l.Data
}

func TestMembers_lifecycle(t *testing.T) {
	as, tok := membersFixture(t)
	ms := base + "/workspaces/team/members"

	got := as.members(t, tok, "team")
	if len(got) != 1 || got[0].Principal != subCreator || !slices.Equal(got[0].Roles, []string{"Admin"}) || got[0].GrantedBy != "creator@example.com" || got[0].GrantedAt.IsZero() {
		t.Fatalf("members of a new workspace = %+v, want its creator as Admin", got)
	}

	r := as.call(t, tok, http.MethodPost, ms, map[string]any{"principal": "bob@example.com"})
	if r.code != http.StatusCreated {
		t.Fatalf("add: %s", r)
	}
	var m client.Member
	r.decode(t, &m)
	if m.Principal != "bob@example.com" || !slices.Equal(m.Roles, []string{"Editor"}) || m.GrantedBy != "creator@example.com" {
		t.Errorf("added = %+v, want bob@example.com as Editor (the default), granted by creator@example.com", m)
	}
	// Adding an existing member merges its roles and answers 201 with the
	// roles as sent (API.md, as the NeMo platform).
	r = as.call(t, tok, http.MethodPost, ms, map[string]any{"principal": "bob@example.com", "roles": []string{"Viewer"}})
	r.decode(t, &m)
	if r.code != http.StatusCreated || !slices.Equal(m.Roles, []string{"Viewer"}) {
		t.Fatalf("add again: %s, want 201 with the roles as sent", r)
	}
	if got := as.members(t, tok, "team"); len(got) != 2 || !slices.Equal(got[0].Roles, []string{"Editor", "Viewer"}) {
		t.Fatalf("members after the merge = %+v, want bob@example.com as [Editor Viewer]", got)
	}

	r = as.call(t, tok, http.MethodPut, ms+"/bob@example.com", map[string]any{"roles": []string{"Viewer", "Admin", "Viewer"}})
	if r.code != http.StatusOK {
		t.Fatalf("set roles: %s", r)
	}
	r.decode(t, &m)
	if !slices.Equal(m.Roles, []string{"Admin", "Viewer"}) {
		t.Errorf("roles = %v, want [Admin Viewer] (sorted, without duplicates)", m.Roles)
	}
	// PUT on a principal without roles sets them; [] removes them all.
	r = as.call(t, tok, http.MethodPut, ms+"/nobody", map[string]any{"roles": []string{"Viewer"}})
	r.decode(t, &m)
	if r.code != http.StatusOK || m.Principal != "nobody" || !slices.Equal(m.Roles, []string{"Viewer"}) {
		t.Fatalf("set roles of a principal without any: %s, want 200 with [Viewer]", r)
	}
	r = as.call(t, tok, http.MethodPut, ms+"/nobody", map[string]any{"roles": []string{}})
	r.decode(t, &m)
	if r.code != http.StatusOK || m.Roles == nil || len(m.Roles) != 0 {
		t.Fatalf("set []: %s, want 200 with []", r)
	}
	r = as.call(t, tok, http.MethodDelete, ms+"/nobody", nil)
	r.wantError(t, http.StatusNotFound, codeNotFound, `{"detail":"Member 'nobody' not found in workspace 'team'"}`)

	// Two Admins: either may go, but not both.
	r = as.call(t, tok, http.MethodDelete, ms+"/bob@example.com", nil)
	r.want(t, http.StatusOK, `{"id":"bob@example.com","message":"Member removed from workspace 'team'","deleted_count":2}`)
	r = as.call(t, tok, http.MethodDelete, ms+"/bob@example.com", nil)
	r.wantError(t, http.StatusNotFound, codeNotFound, `{"detail":"Member 'bob@example.com' not found in workspace 'team'"}`)
	r = as.call(t, tok, http.MethodDelete, ms+"/"+subCreator, nil)
	r.wantError(t, http.StatusConflict, codeConflict, `{"detail":"Workspace 'team' must keep at least one Admin"}`)
	r = as.call(t, tok, http.MethodPut, ms+"/"+subCreator, map[string]any{"roles": []string{"Editor"}})
	r.wantError(t, http.StatusConflict, codeConflict, `{"detail":"Workspace 'team' must keep at least one Admin"}`)

	got = as.members(t, tok, "team")
	if len(got) != 1 || got[0].Principal != subCreator {
		t.Errorf("members = %+v, want only the creator", got)
	}
}

// TestMembers_principalNames: principals that are emails, "*" or contain
// "/" are one path segment when escaped; "/" also works unescaped.
func TestMembers_principalNames(t *testing.T) {
	as, tok := membersFixture(t)
	ms := base + "/workspaces/team/members"
	for _, p := range []string{"alice@example.com", "*", "org/team/devs", "名前", "a b+c%d"} {
		t.Run(p, func(t *testing.T) {
			if r := as.call(t, tok, http.MethodPost, ms, map[string]any{"principal": p, "roles": []string{"Viewer"}}); r.code != http.StatusCreated {
				t.Fatalf("add: %s", r)
			}
			r := as.call(t, tok, http.MethodPut, ms+"/"+url.PathEscape(p), map[string]any{"roles": []string{"Editor"}})
			var m client.Member
			r.decode(t, &m)
			if r.code != http.StatusOK || m.Principal != p {
				t.Fatalf("set roles: %s, want 200 for %q", r, p)
			}
			r = as.call(t, tok, http.MethodDelete, ms+"/"+url.PathEscape(p), nil)
			var out client.MemberRemoved
			r.decode(t, &out)
			if r.code != http.StatusOK || out.ID != p {
				t.Fatalf("remove: %s, want 200 for %q", r, p)
			}
		})
	}
	if r := as.call(t, tok, http.MethodPost, ms, map[string]any{"principal": "org/raw"}); r.code != http.StatusCreated {
		t.Fatalf("add: %s", r)
	}
	if r := as.call(t, tok, http.MethodDelete, ms+"/org/raw", nil); r.code != http.StatusOK {
		t.Errorf("remove with an unescaped slash: %s, want 200", r)
	}
}

func TestMembers_validation(t *testing.T) {
	as, tok := membersFixture(t)
	ms := base + "/workspaces/team/members"
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		code   int
		want   string
	}{
		{"unknown role", http.MethodPost, ms, map[string]any{"principal": "p", "roles": []string{"Owner"}}, 422,
			`{"detail":[{"loc":["body","roles","0"],"msg":"Input should be 'Viewer', 'Editor' or 'Admin' (unknown role 'Owner' for workspace 'team')","type":"literal_error","input":"Owner"}]}`},
		{"system role outside system", http.MethodPost, ms, map[string]any{"principal": "p", "roles": []string{"Viewer", "PlatformAdmin"}}, 422,
			`{"detail":[{"loc":["body","roles","1"],"msg":"Input should be 'Viewer', 'Editor' or 'Admin' (unknown role 'PlatformAdmin' for workspace 'team')","type":"literal_error","input":"PlatformAdmin"}]}`},
		{"empty roles", http.MethodPost, ms, map[string]any{"principal": "p", "roles": []string{}}, 422,
			`{"detail":[{"loc":["body","roles"],"msg":"List should have at least 1 item after validation, not 0","type":"too_short","input":[]}]}`},
		{"roles not a list", http.MethodPost, ms, map[string]any{"principal": "p", "roles": "Admin"}, 422,
			`{"detail":[{"loc":["body","roles"],"msg":"Input should be a valid list","type":"list_type","input":"Admin"}]}`},
		{"role not a string", http.MethodPost, ms, map[string]any{"principal": "p", "roles": []any{1}}, 422,
			`{"detail":[{"loc":["body","roles","0"],"msg":"Input should be a valid string","type":"string_type","input":1}]}`},
		{"missing principal", http.MethodPost, ms, map[string]any{"roles": []string{"Viewer"}}, 422,
			`{"detail":[{"loc":["body","principal"],"msg":"Field required","type":"missing"}]}`},
		{"empty principal", http.MethodPost, ms, map[string]any{"principal": ""}, 422,
			`{"detail":[{"loc":["body","principal"],"msg":"String should have at least 1 character","type":"string_too_short","input":""}]}`},
		{"control character", http.MethodPost, ms, map[string]any{"principal": "a\nb"}, 422,
			`{"detail":[{"loc":["body","principal"],"msg":"Value error, principal must not contain control characters","type":"value_error","input":"a\nb"}]}`},
		{"malformed", http.MethodPost, ms, "{", 422, ""},
		{"no roles on change", http.MethodPut, ms + "/" + subCreator, map[string]any{}, 422,
			`{"detail":[{"loc":["body","roles"],"msg":"Field required","type":"missing"}]}`},
		{"principal on change", http.MethodPut, ms + "/" + subCreator, map[string]any{"principal": "x", "roles": []string{"Admin"}}, 422,
			`{"detail":[{"loc":["body","principal"],"msg":"Value error, the principal is the path's ('` + subCreator + `')","type":"value_error","input":"x"}]}`},
		{"missing workspace", http.MethodPost, base + "/workspaces/gone/members", map[string]any{"principal": "p"}, 404, `{"detail":"Workspace 'gone' not found"}`},
		{"bad workspace name", http.MethodPost, base + "/workspaces/Bad/members", map[string]any{"principal": "p"}, 404, `{"detail":"Workspace 'Bad' not found"}`},
		{"list of a missing workspace", http.MethodGet, base + "/workspaces/gone/members", nil, 404, `{"detail":"Workspace 'gone' not found"}`},
		{"change in a missing workspace", http.MethodPut, base + "/workspaces/gone/members/p", map[string]any{"roles": []string{"Admin"}}, 404, `{"detail":"Workspace 'gone' not found"}`},
		{"remove from a missing workspace", http.MethodDelete, base + "/workspaces/gone/members/p", nil, 404, `{"detail":"Workspace 'gone' not found"}`},
		{"wrong method", http.MethodPatch, ms, nil, 405, `{"detail":"Method Not Allowed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := as.digest()
			r := as.call(t, tok, tt.method, tt.path, tt.body)
			r.want(t, tt.code, tt.want)
			if after := as.digest(); after != before {
				t.Errorf("a refused call changed the state")
			}
		})
	}

	// System roles can be granted on system (by a PlatformAdmin).
	root := as.iss.Token(t, subRoot, "")
	r := as.call(t, root, http.MethodPost, base+"/workspaces/system/members", map[string]any{"principal": "ops", "roles": []string{"WorkspaceCreator", "PlatformAdmin"}})
	var m client.Member
	r.decode(t, &m)
	if r.code != http.StatusCreated || !slices.Equal(m.Roles, []string{"WorkspaceCreator", "PlatformAdmin"}) {
		t.Errorf("grant system roles: %s", r)
	}
	// But not by the Admin of another workspace.
	r = as.call(t, tok, http.MethodPost, base+"/workspaces/system/members", map[string]any{"principal": "me", "roles": []string{"PlatformAdmin"}})
	r.wantError(t, http.StatusForbidden, codeForbidden, `{"detail":"Forbidden"}`)
}

// TestMembers_revocationTakesEffect: a role revoked is gone for the very
// next write and read, on the node that applied it.
func TestMembers_revocationTakesEffect(t *testing.T) {
	as, tok := membersFixture(t)
	ms := base + "/workspaces/team/members"
	if r := as.call(t, tok, http.MethodPost, ms, map[string]any{"principal": subEditor}); r.code != http.StatusCreated {
		t.Fatalf("add: %s", r)
	}
	ed := as.iss.Token(t, subEditor, "")
	if r := as.call(t, ed, http.MethodPut, base+"/workspaces/team/entity-refs/models/a", nil); r.code != http.StatusCreated {
		t.Fatalf("acquire as Editor: %s", r)
	}
	if r := as.call(t, tok, http.MethodPut, ms+"/"+subEditor, map[string]any{"roles": []string{"Viewer"}}); r.code != http.StatusOK {
		t.Fatalf("downgrade: %s", r)
	}
	as.call(t, ed, http.MethodPut, base+"/workspaces/team/entity-refs/models/b", nil).
		wantError(t, http.StatusForbidden, codeForbidden, `{"detail":"Forbidden"}`)
	if r := as.call(t, ed, http.MethodGet, base+"/workspaces/team/usage", nil); r.code != http.StatusOK {
		t.Errorf("read as Viewer: %s", r)
	}
	if r := as.call(t, tok, http.MethodDelete, ms+"/"+subEditor, nil); r.code != http.StatusOK {
		t.Fatalf("remove: %s", r)
	}
	// Removed, eddie holds no role: the workspace is hidden from him.
	as.call(t, ed, http.MethodGet, base+"/workspaces/team/usage", nil).
		wantError(t, http.StatusNotFound, codeNotFound, `{"detail":"Workspace 'team' not found"}`)
}
