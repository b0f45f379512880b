package fsm_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

func TestFSM_Apply_init(t *testing.T) {
	a := newApplier(t)
	if a.state().Initialized() {
		t.Fatalf("Initialized before Init: got true, want false")
	}
	r := a.ok(initCmd())
	if r.Index != 1 {
		t.Errorf("Result.Index: got %d, want 1", r.Index)
	}
	s := a.state()
	if !s.Initialized() {
		t.Errorf("Initialized: got false, want true")
	}
	for _, tt := range []struct{ name, id, desc string }{
		{fsm.DefaultWorkspace, "id-default", fsm.DefaultDescription},
		{fsm.SystemWorkspace, "id-system", fsm.SystemDescription},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := s.Workspace(tt.name)
			if !ok {
				t.Fatalf("Workspace(%q): not found", tt.name)
			}
			if w.ID != tt.id {
				t.Errorf("ID: got %q, want %q", w.ID, tt.id)
			}
			if w.Description == nil || *w.Description != tt.desc {
				t.Errorf("Description: got %v, want %q", w.Description, tt.desc)
			}
			if !w.CreatedAt.Equal(at(0)) || !w.UpdatedAt.Equal(at(0)) || w.CreatedBy != "boot" {
				t.Errorf("created: got %v by %q, want %v by boot", w.CreatedAt, w.CreatedBy, at(0))
			}
			if byID, ok := s.WorkspaceByID(tt.id); !ok || byID != w {
				t.Errorf("WorkspaceByID(%q): got %v, %v; want the same record", tt.id, byID, ok)
			}
			if !fsm.IsBuiltin(tt.name) {
				t.Errorf("IsBuiltin(%q): got false, want true", tt.name)
			}
		})
	}
	if got := s.WorkspaceCount(); got != 2 {
		t.Errorf("WorkspaceCount: got %d, want 2", got)
	}
}

func TestFSM_Apply_initIdempotent(t *testing.T) {
	a := newInitialized(t)
	before := a.state().Digest()
	for _, tt := range []struct {
		name string
		cmd  *fsm.Init
	}{
		{"same", initCmd()},
		{"other ids and time", &fsm.Init{DefaultID: "d2", SystemID: "s2", At: at(50), By: "other"}},
		{"admin principal", &fsm.Init{DefaultID: "d3", SystemID: "s3", At: at(60), By: "other", AdminPrincipal: "root"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			r := a.ok(tt.cmd)
			if r.Created || r.Workspace != nil {
				t.Errorf("second Init result: got %+v, want empty", r)
			}
			if got := a.state().Digest(); got != before {
				t.Errorf("digest after second Init: got %s, want %s", got, before)
			}
			if w, _ := a.state().Workspace(fsm.DefaultWorkspace); w.ID != "id-default" {
				t.Errorf("default id: got %q, want id-default", w.ID)
			}
		})
	}
}

func TestFSM_Apply_initSeedsRoles(t *testing.T) {
	a := newApplier(t)
	c := initCmd()
	c.AdminPrincipal = "root"
	a.ok(c)
	s := a.state()
	tests := []struct {
		ws, principal string
		want          []string
	}{
		{fsm.DefaultWorkspace, fsm.Everyone, []string{fsm.RoleEditor}},
		{fsm.SystemWorkspace, fsm.Everyone, []string{fsm.RoleViewer, fsm.RoleWorkspaceCreator}},
		{fsm.SystemWorkspace, "root", []string{fsm.RolePlatformAdmin}},
	}
	for _, tt := range tests {
		t.Run(tt.ws+"/"+tt.principal, func(t *testing.T) {
			b, ok := s.Member(tt.ws, tt.principal)
			if !ok {
				t.Fatalf("Member(%q, %q): not found", tt.ws, tt.principal)
			}
			if !slices.Equal(b.Roles, tt.want) {
				t.Errorf("roles: got %v, want %v", b.Roles, tt.want)
			}
		})
	}
}

func TestFSM_Apply_initInvalid(t *testing.T) {
	tests := []struct {
		name string
		cmd  *fsm.Init
	}{
		{"no default id", &fsm.Init{SystemID: "s", At: at(0)}},
		{"no system id", &fsm.Init{DefaultID: "d", At: at(0)}},
		{"same ids", &fsm.Init{DefaultID: "x", SystemID: "x", At: at(0)}},
		{"zero time", &fsm.Init{DefaultID: "d", SystemID: "s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApplier(t)
			a.refused(tt.cmd, fsm.CodeInvalid)
			if a.state().Initialized() {
				t.Errorf("Initialized after refused Init: got true, want false")
			}
			if got := a.state().WorkspaceCount(); got != 0 {
				t.Errorf("WorkspaceCount: got %d, want 0", got)
			}
		})
	}
}

// An Init whose second id is taken must not leave the first built-in
// behind: a refused command changes nothing.
func TestFSM_Apply_initIDConflict(t *testing.T) {
	a := newApplier(t)
	a.ok(&fsm.CreateWorkspace{ID: "taken", Name: "early", At: at(1)})
	a.refused(&fsm.Init{DefaultID: "d", SystemID: "taken", At: at(2)}, fsm.CodeConflict)
	if _, ok := a.state().Workspace(fsm.DefaultWorkspace); ok {
		t.Errorf("default exists after refused Init: got true, want false")
	}
	if a.state().Initialized() {
		t.Errorf("Initialized after refused Init: got true, want false")
	}
}

func TestFSM_Apply_createWorkspace(t *testing.T) {
	a := newInitialized(t)
	c := &fsm.CreateWorkspace{ID: "u-1", Name: "ml-team", Description: ptr("Machine Learning Team workspace"), At: at(10), By: "alice@example.com"}
	r := a.ok(c)
	if !r.Created {
		t.Errorf("Created: got false, want true")
	}
	if r.Index != a.last() {
		t.Errorf("Result.Index: got %d, want %d", r.Index, a.last())
	}
	w := r.Workspace
	if w == nil {
		t.Fatalf("Result.Workspace: got nil, want the workspace")
	}
	want := fsm.Workspace{ID: "u-1", Name: "ml-team", CreatedAt: at(10), CreatedBy: "alice@example.com", UpdatedAt: at(10), UpdatedBy: "alice@example.com", Index: a.last()}
	got := *w
	got.Description = nil
	if got != want {
		t.Errorf("workspace: got %+v, want %+v", got, want)
	}
	if w.Description == nil || *w.Description != *c.Description {
		t.Errorf("description: got %v, want %q", w.Description, *c.Description)
	}
	if s, ok := a.state().Workspace("ml-team"); !ok || s != w {
		t.Errorf("State.Workspace: got %v, %v; want the created record", s, ok)
	}
	if got := a.state().Index(); got != a.last() {
		t.Errorf("State.Index: got %d, want %d", got, a.last())
	}

	t.Run("no description", func(t *testing.T) {
		a := a.T(t)
		r := a.ok(createWS("bare", 11))
		if r.Workspace.Description != nil {
			t.Errorf("description: got %q, want nil", *r.Workspace.Description)
		}
	})
	t.Run("description of exactly 4096 bytes", func(t *testing.T) {
		a := a.T(t)
		c := createWS("long-desc", 12)
		c.Description = ptr(strings.Repeat("é", fsm.MaxDescriptionLen/2))
		a.ok(c)
	})
	t.Run("63 characters", func(t *testing.T) {
		a := a.T(t)
		a.ok(createWS("a"+strings.Repeat("b", 62), 13))
	})
	t.Run("single letter", func(t *testing.T) {
		a := a.T(t)
		a.ok(createWS("x", 14))
	})
}

func TestFSM_Apply_createWorkspaceRefused(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("x", 1))
	tests := []struct {
		name    string
		cmd     *fsm.CreateWorkspace
		code    fsm.Code
		field   string
		message string
	}{
		{"duplicate name", &fsm.CreateWorkspace{ID: "other", Name: "x", At: at(2)}, fsm.CodeAlreadyExists, "", "Workspace 'x' already exists"},
		{"duplicate builtin name", &fsm.CreateWorkspace{ID: "other", Name: "default", At: at(2)}, fsm.CodeAlreadyExists, "", "Workspace 'default' already exists"},
		{"duplicate id", &fsm.CreateWorkspace{ID: "id-x", Name: "y", At: at(2)}, fsm.CodeConflict, "", ""},
		{"empty name", createWS("", 2), fsm.CodeInvalid, "name", ""},
		{"64 characters", createWS("a"+strings.Repeat("b", 63), 2), fsm.CodeInvalid, "name", ""},
		{"trailing hyphen", createWS("ml-", 2), fsm.CodeInvalid, "name", ""},
		{"leading hyphen", createWS("-ml", 2), fsm.CodeInvalid, "name", ""},
		{"uppercase", createWS("Ml", 2), fsm.CodeInvalid, "name", ""},
		{"uppercase inside", createWS("mL", 2), fsm.CodeInvalid, "name", ""},
		{"space", createWS("Bad Name", 2), fsm.CodeInvalid, "name", ""},
		{"leading digit", createWS("1ml", 2), fsm.CodeInvalid, "name", ""},
		{"unicode", createWS("mé", 2), fsm.CodeInvalid, "name", ""},
		{"underscore", createWS("ml_team", 2), fsm.CodeInvalid, "name", ""},
		{"dot", createWS("ml.team", 2), fsm.CodeInvalid, "name", ""},
		{"description over 4096 bytes", &fsm.CreateWorkspace{ID: "d", Name: "d", Description: ptr(strings.Repeat("a", 4097)), At: at(2)}, fsm.CodeInvalid, "description", ""},
		{"zero timestamp", &fsm.CreateWorkspace{ID: "z", Name: "z"}, fsm.CodeInvalid, "", ""},
		{"empty id", &fsm.CreateWorkspace{Name: "z", At: at(2)}, fsm.CodeInvalid, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			e := a.refused(tt.cmd, tt.code)
			if tt.field != "" && e.Field != tt.field {
				t.Errorf("Field: got %q, want %q", e.Field, tt.field)
			}
			if tt.message != "" && e.Msg != tt.message {
				t.Errorf("message: got %q, want %q", e.Msg, tt.message)
			}
			if e.Msg == "" {
				t.Errorf("message: got empty, want an explanation")
			}
		})
	}
	if got := a.state().WorkspaceCount(); got != 3 {
		t.Errorf("WorkspaceCount: got %d, want 3", got)
	}
}

func TestFSM_Apply_updateWorkspace(t *testing.T) {
	a := newInitialized(t)
	a.ok(&fsm.CreateWorkspace{ID: "u", Name: "ws", Description: ptr("first"), At: at(10), By: "alice"})

	tests := []struct {
		name string
		cmd  *fsm.UpdateWorkspace
		want *string
	}{
		{"set", &fsm.UpdateWorkspace{Name: "ws", Description: ptr("second"), DescriptionSet: true, At: at(20), By: "bob"}, ptr("second")},
		{"kept when not set", &fsm.UpdateWorkspace{Name: "ws", Description: ptr("ignored"), At: at(30), By: "carol"}, ptr("second")},
		{"set to empty", &fsm.UpdateWorkspace{Name: "ws", Description: ptr(""), DescriptionSet: true, At: at(35), By: "carol"}, ptr("")},
		{"cleared", &fsm.UpdateWorkspace{Name: "ws", DescriptionSet: true, At: at(40), By: "dave"}, nil},
		{"kept nil", &fsm.UpdateWorkspace{Name: "ws", At: at(50), By: "erin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			r := a.ok(tt.cmd)
			w, _ := a.state().Workspace("ws")
			if r.Workspace != w {
				t.Errorf("Result.Workspace: got %p, want the stored record %p", r.Workspace, w)
			}
			if r.Created {
				t.Errorf("Created: got true, want false")
			}
			switch {
			case tt.want == nil && w.Description != nil:
				t.Errorf("description: got %q, want nil", *w.Description)
			case tt.want != nil && (w.Description == nil || *w.Description != *tt.want):
				t.Errorf("description: got %v, want %q", w.Description, *tt.want)
			}
			if !w.UpdatedAt.Equal(tt.cmd.At) || w.UpdatedBy != tt.cmd.By || w.Index != a.last() {
				t.Errorf("updated: got %v by %q at index %d, want %v by %q at %d", w.UpdatedAt, w.UpdatedBy, w.Index, tt.cmd.At, tt.cmd.By, a.last())
			}
			if !w.CreatedAt.Equal(at(10)) || w.CreatedBy != "alice" || w.ID != "u" {
				t.Errorf("created: got %v by %q id %q, want %v by alice id u", w.CreatedAt, w.CreatedBy, w.ID, at(10))
			}
		})
	}
}

func TestFSM_Apply_updateWorkspaceSortOrder(t *testing.T) {
	a := newApplier(t)
	for i, n := range []string{"a", "b", "c"} {
		a.ok(createWS(n, i))
	}
	order := func() []string {
		ws, _ := a.state().ListWorkspaces(fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortUpdatedAt}, Limit: 10})
		return names(ws)
	}
	if got, want := order(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("updated_at order: got %v, want %v", got, want)
	}
	a.ok(&fsm.UpdateWorkspace{Name: "a", At: at(10)})
	if got, want := order(), []string{"b", "c", "a"}; !slices.Equal(got, want) {
		t.Errorf("updated_at order after updating a: got %v, want %v", got, want)
	}
	a.ok(&fsm.UpdateWorkspace{Name: "b", At: at(10)}) // ties with a, broken by name
	if got, want := order(), []string{"c", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("updated_at order after updating b: got %v, want %v", got, want)
	}
	a.ok(&fsm.UpdateWorkspace{Name: "b", At: at(10), DescriptionSet: true, Description: ptr("same time")})
	if got, want := order(), []string{"c", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("updated_at order after same-time update: got %v, want %v", got, want)
	}
	ws, total := a.state().ListWorkspaces(fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortUpdatedAt}, Limit: 10})
	if total != 3 || len(ws) != 3 {
		t.Errorf("list: got %d records of %d, want 3 of 3", len(ws), total)
	}
	ws, _ = a.state().ListWorkspaces(fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortCreatedAt}, Limit: 10})
	if got, want := names(ws), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("created_at order after updates: got %v, want %v", got, want)
	}
}

func TestFSM_Apply_updateWorkspaceRefused(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	tests := []struct {
		name string
		cmd  *fsm.UpdateWorkspace
		code fsm.Code
		msg  string
	}{
		{"not found", &fsm.UpdateWorkspace{Name: "nope", At: at(2)}, fsm.CodeNotFound, "Workspace 'nope' not found"},
		{"description too long", &fsm.UpdateWorkspace{Name: "ws", Description: ptr(strings.Repeat("a", 4097)), DescriptionSet: true, At: at(2)}, fsm.CodeInvalid, ""},
		{"zero timestamp", &fsm.UpdateWorkspace{Name: "ws"}, fsm.CodeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			e := a.refused(tt.cmd, tt.code)
			if tt.msg != "" && e.Msg != tt.msg {
				t.Errorf("message: got %q, want %q", e.Msg, tt.msg)
			}
		})
	}
}

func TestFSM_Apply_deleteWorkspace(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("gone", 1))
	r := a.ok(&fsm.DeleteWorkspace{Name: "gone", At: at(2)})
	if r.Workspace == nil || r.Workspace.Name != "gone" {
		t.Errorf("Result.Workspace: got %v, want the deleted record", r.Workspace)
	}
	s := a.state()
	if _, ok := s.Workspace("gone"); ok {
		t.Errorf("Workspace(gone) after delete: found, want gone")
	}
	if _, ok := s.WorkspaceByID("id-gone"); ok {
		t.Errorf("WorkspaceByID(id-gone) after delete: found, want gone")
	}
	for _, sort := range []string{"created_at", "updated_at", "name"} {
		srt, _ := fsm.ParseSort(sort)
		ws, total := s.ListWorkspaces(fsm.ListQuery{Sort: srt, Limit: 10})
		if got, want := names(ws), []string{"default", "system"}; total != 2 || !slices.Equal(got, want) {
			t.Errorf("list by %s: got %v (total %d), want %v", sort, got, total, want)
		}
	}
	t.Run("recreate", func(t *testing.T) {
		a := a.T(t)
		a.ok(&fsm.CreateWorkspace{ID: "id-gone-2", Name: "gone", At: at(3)})
	})
}

func TestFSM_Apply_deleteWorkspaceRefused(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ml-team", 1))
	a.ok(acquire("ml-team", "models", "m1", 2))
	a.ok(acquire("ml-team", "datasets", "d1", 3))
	a.ok(acquire("ml-team", "models", "m2", 4))
	a.ok(createWS("one", 5))
	a.ok(acquire("one", "models", "m", 6))

	tests := []struct {
		name string
		ws   string
		code fsm.Code
		msg  string
	}{
		{"not found", "nope", fsm.CodeNotFound, "Workspace 'nope' not found"},
		{"default", fsm.DefaultWorkspace, fsm.CodeBuiltin, ""},
		{"system", fsm.SystemWorkspace, fsm.CodeBuiltin, ""},
		{"not empty", "ml-team", fsm.CodeNotEmpty, "Workspace 'ml-team' is not empty: 3 entities remain (datasets: 1, models: 2). Remove all entities before deleting."},
		{"one entity", "one", fsm.CodeNotEmpty, "Workspace 'one' is not empty: 1 entity remains (models: 1). Remove all entities before deleting."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			e := a.refused(&fsm.DeleteWorkspace{Name: tt.ws, At: at(9)}, tt.code)
			if tt.msg != "" && e.Msg != tt.msg {
				t.Errorf("message:\ngot  %q\nwant %q", e.Msg, tt.msg)
			}
		})
	}

	t.Run("after refs released", func(t *testing.T) {
		a := a.T(t)
		a.ok(release("ml-team", "models", "m1"))
		a.ok(release("ml-team", "datasets", "d1"))
		a.refused(&fsm.DeleteWorkspace{Name: "ml-team", At: at(10)}, fsm.CodeNotEmpty)
		a.ok(release("ml-team", "models", "m2"))
		a.ok(&fsm.DeleteWorkspace{Name: "ml-team", At: at(11)})
		if _, ok := a.state().Workspace("ml-team"); ok {
			t.Errorf("ml-team after delete: found, want gone")
		}
	})
}
